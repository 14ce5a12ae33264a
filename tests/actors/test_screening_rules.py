"""The must-escalate rules: slang, misspellings and missing apostrophes are caught; the common
metaphors and recovery talk are not; `combine` takes the highest level and every category."""

from __future__ import annotations

import pytest

from actors.screening import NOTHING, Screening
from actors.screening.rules import RuleScreener, combine

URGENT = [
    ("I can't do this anymore, I want to end it tonight", "suicidal_intent"),
    ("cant do this anymore im going to kill myself", "suicidal_intent"),
    ("ctb tonight x", "suicidal_intent"),
    ("honestly kms", "suicidal_intent"),
    ("going to unalive myself", "suicidal_intent"),
    ("ive decided, this is my last post", "suicidal_intent"),
    ("been writing letters to my kids", "suicidal_intent"),
    ("goodbye everyone, thank you for trying", "suicidal_intent"),
    ("i wont be here tomorrow", "suicidal_intent"),
    ("I've just cut and it won't stop bleeding", "self_harm_current"),
    ("sh'd again tonight", "self_harm_current"),
    ("keep fainting at work and my heart is racing", "ed_medical_risk"),
    ("there was blood after i purged", "ed_medical_risk"),
    ("can't keep water down since Monday", "ed_medical_risk"),
    ("my step dad hits me when mum is out", "safeguarding"),
    ("scared to go home tonight", "safeguarding"),
    ("having thoughts of hurting the baby", "perinatal_risk"),
    ("the baby would be better off without me", "perinatal_risk"),
    ("I'm going to stab him when he gets home", "harm_to_others"),
    ("gonna take an overdose when they're asleep", "suicidal_intent"),
    ("ive taken an od, scared now", "self_harm_current"),
]
CONCERN = [
    ("fighting the urge to sh tonight", "self_harm_urges"),
    ("wish i could just disappear", "passive_ideation"),
    ("whats the point of me", "passive_ideation"),
    ("cant see a way out", "passive_ideation"),
    ("everyone would be better off without me", "passive_ideation"),
    ("ana buddy anyone?", "pro_ed"),
    ("need some thinspo", "pro_ed"),
    ("honestly i just want to die", "passive_ideation"),
    ("feeling sucidal again", "passive_ideation"),
    ("no reason to go on", "passive_ideation"),
]
NONE = [
    "this exam will kill me",
    "I could murder a cuppa",
    "dying of embarrassment at parents evening",
    "two years ago I self-harmed daily; today I'm 400 days clean",
    "the health visitor said she's 4.2kg now!",
    "did the charity 10k on Sunday",
    "please reach out to Samaritans on 116 123 if you need to",
    "my 21st birthday is next week",
    "had a lovely walk with the dog",
    "the hospice nurse said he may not wake up tomorrow",
    "I could kill for a pizza",
]


@pytest.mark.parametrize(("text", "category"), URGENT)
def test_urgent_phrases_escalate(text: str, category: str) -> None:
    result = RuleScreener().screen(text)
    assert result.level == "urgent" and category in result.categories, result
    assert result.score == 1.0


@pytest.mark.parametrize(("text", "category"), CONCERN)
def test_concern_phrases_are_queued(text: str, category: str) -> None:
    result = RuleScreener().screen(text)
    assert result.level == "concern" and category in result.categories, result


@pytest.mark.parametrize("text", NONE)
def test_metaphor_recovery_and_ordinary_numbers_pass(text: str) -> None:
    assert RuleScreener().screen(text) == NOTHING


def test_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown screening category"):
        RuleScreener(rules=[("sadness", r"sad")])


class Fixed:
    def __init__(self, result: Screening) -> None:
        self.result = result

    def screen(self, text: str) -> Screening:
        return self.result


def test_combine_takes_the_highest_level_and_every_category() -> None:
    combined = combine(
        Fixed(Screening("concern", ("pro_ed",), 0.6)),
        Fixed(Screening("urgent", ("suicidal_intent",), 0.9)),
        Fixed(NOTHING),
    )
    assert combined.screen("x") == Screening("urgent", ("suicidal_intent", "pro_ed"), 0.9)
    assert combine().screen("x") == NOTHING
