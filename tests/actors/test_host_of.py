"""`actors.ids.host_of`: the host a URI names, and nothing (no peer's host) for text from a peer
that is not a URL, rather than an exception on whichever path first reads it."""

from __future__ import annotations

import pytest

from actors.ids import host_of


@pytest.mark.parametrize(
    ("uri", "host"),
    [
        ("https://partner.example/actor#main-key", "partner.example"),
        ("http://127.0.0.1:8443/members/x", "127.0.0.1:8443"),
        ("https://[::1]:8443/actor", "[::1]:8443"),
        ("https://[partner.example/actor", ""),
        ("/relative/path", ""),
        ("", ""),
    ],
)
def test_host_of_names_the_host_or_nothing(uri: str, host: str) -> None:
    assert host_of(uri) == host
