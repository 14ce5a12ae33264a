"""A peer's text is held to our own text rules (actors/text.py) before anyone here reads it:
a post or author name fetched from a foreign origin with a bidi override, an escape sequence or
another control character is not shown; only that origin's posts fail, "could not be loaded",
and the failure is counted in its health (issue 9, items 3 and 10: "every entry point")."""

from __future__ import annotations

import pytest
import test_bad_answers
from conftest import Browser, TestNode, subnet_path
from faces import Face
from test_bad_answers import _edited, _failures, _item

face = test_bad_answers.face  # the fixtures of test_bad_answers, used here too
origins = test_bad_answers.origins

CASES = {
    "bidi override in the text": lambda i: i.update(
        content="\u202e(marker BA1) won't anyone help\u202c", mediaType="text/plain"
    ),
    "escape sequence in the text": lambda i: i.update(content="\x1b[2J(marker BA1)"),
    "bidi override in the name": lambda i: i.update(
        attributedTo={**i["attributedTo"], "name": "Dr \u202eNurse Kim"}
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_peers_post_or_name_with_controls_is_not_shown_and_is_counted(
    origins: tuple[TestNode, TestNode, TestNode, str, Face, Browser], case: str
) -> None:
    a, b, _c, subnet, hostile, alex = origins
    hostile.rules["/objects"] = _edited(_item(CASES[case]))
    before, _ = await _failures(b, a)
    status, html = await alex.get(subnet_path(subnet))
    assert status == 200
    assert "\u202e" not in html and "\x1b" not in html
    assert "marker BA2" in html  # the good origin's post is untouched
    assert "could not be loaded from Bad Origin" in html
    after, reason = await _failures(b, a)
    assert after == before + 1 and reason and reason.startswith("reading posts:")
