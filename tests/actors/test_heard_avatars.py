"""What of a partner's `icon` a reading node believes (`actors/avatars.heard_avatar`): only
the name of one of the six built-in avatars, at its usual address on the answering node."""

from __future__ import annotations

import pytest

from actors.avatars import AVATARS, avatar_path, chosen, heard_avatar

HOST = "bucks.example:8443"


@pytest.mark.parametrize("name", AVATARS)
def test_each_built_in_avatar_at_the_partners_own_address_is_heard(name: str) -> None:
    assert heard_avatar(f"https://{HOST}/static/avatars/{name}.svg", HOST) == name
    assert heard_avatar(f"http://{HOST}{avatar_path(name)}", HOST) == name
    assert heard_avatar(f"https://BUCKS.example:8443/static/avatars/{name}.svg", HOST) == name


@pytest.mark.parametrize(
    "url",
    [
        None,
        42,
        ["https://bucks.example:8443/static/avatars/wave.svg"],
        {"href": "https://bucks.example:8443/static/avatars/wave.svg"},
        "",
        "wave",
        "/static/avatars/wave.svg",
        "//bucks.example:8443/static/avatars/wave.svg",
        "https://evil.example/static/avatars/wave.svg",
        "https://bucks.example/static/avatars/wave.svg",  # another port: another node
        "https://bucks.example:8443.evil.example/static/avatars/wave.svg",
        "https://evil.example@bucks.example:8443/static/avatars/wave.svg",
        "https://bucks.example:8443@evil.example/static/avatars/wave.svg",
        "javascript:alert(1)//bucks.example:8443/static/avatars/wave.svg",
        "javascript://bucks.example:8443/static/avatars/wave.svg",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "ftp://bucks.example:8443/static/avatars/wave.svg",
        "https://bucks.example:8443/static/avatars/../avatars/wave.svg",
        "https://bucks.example:8443/static/avatars/../../etc/passwd",
        "https://bucks.example:8443/static/avatars/..%2F..%2Fsharon.css",
        "https://bucks.example:8443/static/avatars/%77ave.svg",
        "https://bucks.example:8443/static/avatars/wave.svg?x=1",
        "https://bucks.example:8443/static/avatars/wave.svg#x",
        "https://bucks.example:8443/static/avatars/wave.svg?",
        "https://bucks.example:8443/static/avatars/wave.png",
        "https://bucks.example:8443/static/avatars/wave.svg/",
        "https://bucks.example:8443/static/avatars/Wave.svg",
        "https://bucks.example:8443/static/avatars/ wave.svg",
        "https://bucks.example:8443/static/avatars/wave.svg\n",
        "https://bucks.example:8443/static/avatars/photo-of-me.svg",
        "https://bucks.example:8443/static/avatars/.svg",
        "https://bucks.example:8443/static/avatars/wave.wave.svg",
        "https://bucks.example:8443//static/avatars/wave.svg",
        "https://bucks.example:8443/pictures/static/avatars/wave.svg",
        "https://bucks.example:8443/static/avatars/wave.3f2a1b4c5d6e.svg",
        "https://[::1/static/avatars/wave.svg",
        "https://bucks.example:8443/static/avatars/" + "a" * 5000 + ".svg",
    ],
)
def test_anything_else_is_no_avatar_and_no_error(url: object) -> None:
    assert heard_avatar(url, HOST) is None


def test_no_host_to_compare_with_is_no_avatar() -> None:
    assert heard_avatar("https://bucks.example:8443/static/avatars/wave.svg", "") is None


def test_a_stored_choice_is_shown_only_when_it_is_one_of_the_six() -> None:
    assert [chosen(name) for name in AVATARS] == list(AVATARS)
    assert chosen(None) is None and chosen("") is None and chosen("../../etc/passwd") is None
