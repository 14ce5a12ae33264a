"""What a peer sends is read with bounded, library-grade parsers: a Note's HTML becomes text by
the standard library's HTML parser, and a multibase key is decoded only up to a sane length."""

from __future__ import annotations

import pytest

from federation.keys import MAX_BASE58, NodeKeys, ed25519_from_multibase, unbase58
from federation.reading import plain_text


def test_a_notes_html_becomes_its_text_with_paragraphs_and_breaks_as_lines() -> None:
    note = {"content": "<p>Hello &amp; <b>welcome</b></p><p>Two<br/>lines</p>"}
    assert plain_text(note) == "Hello & welcome\nTwo\nlines"


def test_text_that_only_looks_like_markup_is_kept() -> None:
    assert plain_text({"content": "a < b and c > d, Fish &lt;3"}) == "a < b and c > d, Fish <3"
    assert plain_text({"content": "<i>as is</i>", "mediaType": "text/plain"}) == "<i>as is</i>"


def test_our_own_multikey_decodes_to_our_key() -> None:
    keys = NodeKeys.generate()
    decoded = ed25519_from_multibase(keys.ed25519_multibase)
    assert decoded.public_bytes_raw() == keys.ed25519.public_key().public_bytes_raw()


def test_a_base58_text_longer_than_any_key_is_refused_before_decoding() -> None:
    with pytest.raises(ValueError, match="longer than"):
        unbase58("2" * (MAX_BASE58 + 1))
    with pytest.raises(ValueError, match="longer than"):
        ed25519_from_multibase("z" + "2" * 100_000)
