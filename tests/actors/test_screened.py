"""Which screened posts send their author to the crisis-support page."""

from __future__ import annotations

from actors.screened import signposts


def test_support_follows_anything_worrying_but_numbers_alone() -> None:
    assert signposts("urgent", ["suicidal_intent"])
    assert signposts("urgent", ["ed_medical_risk", "ed_numbers"])
    assert signposts("concern", ["passive_ideation"])
    assert signposts("concern", ["ed_numbers", "pro_ed"])
    assert not signposts("concern", ["ed_numbers"])
    assert not signposts("none", [])
