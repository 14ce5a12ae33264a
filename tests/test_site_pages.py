"""The footer links the trust's privacy notice, accessibility statement, house rules and
contact page, open to everyone; a trust writes its own in `[pages]`."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from conftest import StartNode

from node.cli import main
from node.settings import SettingsError, load

FOOTER = ("/privacy", "/accessibility", "/house-rules", "/contact")


async def test_footer_pages_are_linked_everywhere_and_say_the_trusts_words(
    start_node: StartNode,
) -> None:
    a = await start_node(
        "Berkshire Healthcare", site_pages=(("privacy", "Our own notice.\n\nSecond part."),)
    )
    async with aiohttp.ClientSession() as http:
        async with http.get(a.url + "/sign-in") as response:
            html = await response.text()
        for path in FOOTER:
            assert f'href="{path}"' in html, path
            async with http.get(a.url + path) as response:
                assert response.status == 200, path
                text = await response.text()
                assert "Need help now?" in text
        async with http.get(a.url + "/privacy") as response:
            text = await response.text()
        assert "<p>Our own notice.</p>" in text and "<p>Second part.</p>" in text
        async with http.get(a.url + "/accessibility") as response:
            assert "Berkshire Healthcare wants as many people" in await response.text()


def test_pages_are_read_from_the_settings_file(tmp_path: Path) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    with (node / "sharon.toml").open("a") as config:
        config.write('[pages]\ncontact = "Ring the ward on 0118 000 0000."\n')
    assert load(node, environ={}).site_pages == (("contact", "Ring the ward on 0118 000 0000."),)
    with (node / "sharon.toml").open("a") as config:
        config.write('cookies = "yes"\n')
    with pytest.raises(SettingsError):
        load(node, environ={})
