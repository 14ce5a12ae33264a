"""The words a search looks for, and the snippet shown for each post found."""

from __future__ import annotations

import pytest

from actors.errors import Invalid
from actors.search import snippet, terms_of


def test_terms_are_plain_lower_case_words_without_query_syntax() -> None:
    assert terms_of('Café "OR" anx* -sleep NEAR(x) a') == ["café", "or", "anx", "sleep", "near"]
    assert terms_of("sleep sleep SLEEP") == ["sleep"]
    assert len(terms_of(" ".join(f"w{i}" for i in range(20)))) == 8
    for nothing in ("", "a", "!!", "' --"):
        with pytest.raises(Invalid):
            terms_of(nothing)


def _marked(content: str, terms: list[str]) -> str:
    return "".join(f"[{t}]" if hit else t for t, hit in snippet(content, terms))


def test_snippet_marks_words_that_start_with_a_term() -> None:
    assert _marked("Anxious? My anxiety, and café.", ["anx", "cafe"]) == (
        "[Anxious]? My [anxiety], and [café]."
    )
    assert _marked("nothing here", ["zzz"]) == "nothing here"


def test_long_posts_show_the_part_around_the_first_match() -> None:
    text = "word " * 100 + "the needle is here " + "tail " * 100
    shown = _marked(text, ["needle"])
    assert shown.startswith("…") and shown.endswith("…") and "[needle]" in shown
    assert len(shown) < 230
