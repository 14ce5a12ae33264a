"""The screener a node uses: the trained model, the must-escalate rules and the number detector,
as one (`combine`: the highest level wins and categories add up).

The model tells metaphor from intent; the rules (`rules.py`) catch phrases that must never be
missed however the model scores them; the detector (`actors/numbers.py`) marks a weight, BMI
or calorie figure as `ed_numbers`, which a model trained on a few hundred such posts cannot
count on seeing. `bench/screening.py` prints the figures of each part and of the whole.
"""

from __future__ import annotations

import re
from pathlib import Path

from actors import numbers
from actors.screening import NOTHING, Screener, Screening, dataset, model
from actors.screening.rules import RuleScreener, combine

ED_NUMBER_KINDS = frozenset({numbers.Kind.WEIGHT, numbers.Kind.BMI, numbers.Kind.CALORIES})
# Whose number it is: a baby's weigh-in (an age in days, weeks or months, or a weight in pounds
# and ounces), a pet's or a thing's weight is not an eating-disorder number.
NOT_ABOUT_A_BODY_AT_RISK = re.compile(
    r"\b(?:bab(?:y|ies|y's)|newborn|little one|weigh[- ]?in clinic|health visitor|midwife|"
    r"(?:great[- ])?grand(?:daughter|son|child|baby)|\d+ ?(?:day|week|month)s?[- ]old|"
    r"\d+ ?lbs? ?\d+ ?oz|(?:the |our |my )(?:dog|cat|puppy|kitten)s?|vet|"
    r"(?:weighted )?blanket|suitcase|luggage|parcel|rucksack|turkey)\b",
    re.IGNORECASE,
)


class EdNumbers:
    """`concern` / `ed_numbers` when a text states a weight, BMI or calorie figure. Sizes and
    exercise amounts are left to the model: they are common in ordinary talk (shoe sizes, a
    charity 10k), and the subnet's numbers setting masks them for readers anyway. A text about
    a baby's or a pet's weight is left to the model too."""

    def screen(self, text: str) -> Screening:
        if NOT_ABOUT_A_BODY_AT_RISK.search(text):
            return NOTHING
        if any(span.kind in ED_NUMBER_KINDS for span in numbers.find(text)):
            return Screening("concern", ("ed_numbers",), 0.6)
        return NOTHING


def load_screener(model_path: Path | None = None) -> Screener:
    """Load once, at start. The packaged model must have been built from the packaged data;
    a trust's own `model_path` is taken as it is. Raises `model.ModelUnavailable`."""
    if model_path is None:
        trained = model.load_model(model.DEFAULT_PATH, dataset.data_digest())
    else:
        trained = model.load_model(model_path)
    return combine(trained, RuleScreener(), EdNumbers())
