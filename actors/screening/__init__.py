"""Crisis screening of what people write, at the author's home node (design.md, "Safety at the
author's home").

Every text a person writes for others is screened before it is committed and before anything
about it leaves the node. The result is a `Screening`: a level, the categories that matched and
a score in [0, 1]. `docs/clinical-safety.md` defines the levels and categories.

This module holds the contract only; the trained model behind it lives in `actors/screening/`
beside it, and `node/` loads one `Screener` at start and passes it to the operations that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Level = Literal["urgent", "concern", "none"]

LEVELS: tuple[Level, ...] = ("urgent", "concern", "none")

URGENT_CATEGORIES: tuple[str, ...] = (
    "suicidal_intent",  # suicidal intent or plan
    "self_harm_current",  # current self-harm (happening now or just happened)
    "ed_medical_risk",  # fainting, chest pain, blood after purging, confusion
    "safeguarding",  # disclosure of current abuse of a child or adult
    "perinatal_risk",  # risk to mother or baby
    "harm_to_others",  # intent to harm someone else
)
CONCERN_CATEGORIES: tuple[str, ...] = (
    "self_harm_urges",  # urges to self-harm, not acted on
    "passive_ideation",  # wishing not to be here, without intent or plan
    "pro_ed",  # encouraging eating-disorder behaviour in others
    "ed_numbers",  # weight, calorie, BMI or exercise numbers
)
CATEGORIES: tuple[str, ...] = URGENT_CATEGORIES + CONCERN_CATEGORIES


def level_of(categories: tuple[str, ...] | list[str]) -> Level:
    """The level a set of categories calls for: any urgent one makes it urgent."""
    if any(c in URGENT_CATEGORIES for c in categories):
        return "urgent"
    if any(c in CONCERN_CATEGORIES for c in categories):
        return "concern"
    return "none"


@dataclass(frozen=True)
class Screening:
    """What screening found in one text. `score` is the model's confidence that the text needs
    a clinician's attention (0 = none, 1 = certain); `categories` are codes from `CATEGORIES`."""

    level: Level
    categories: tuple[str, ...]
    score: float


NOTHING = Screening("none", (), 0.0)


class Screener(Protocol):
    """Screens one text; pure, CPU only, safe to call from any thread."""

    def screen(self, text: str) -> Screening: ...
