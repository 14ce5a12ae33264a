"""Fragments rendered once and kept (webui/fragments.py): each reader still sees only their own
name, words and errors on pages whose unchanging parts are reused."""

from __future__ import annotations

import html as html_lib
import re

from conftest import Browser, BrowserFactory, StartNode, subnet_path
from markupsafe import Markup

from node import manage
from webui.fragments import Fragments


def test_a_key_is_rendered_once_and_reused() -> None:
    once, calls = Fragments(), []

    def body() -> str:
        calls.append(1)
        return "<p>the same</p>"

    assert once("k", 1, caller=body) == once("k", 1, caller=body) == Markup("<p>the same</p>")
    assert len(calls) == 1
    once("k", 2, caller=body)
    assert len(calls) == 2


def test_keep_false_renders_afresh_and_keeps_nothing() -> None:
    once, shown = Fragments(), iter(["first draft", "second draft"])
    assert once("form", caller=lambda: next(shown), keep=False) == "first draft"
    assert once("form", caller=lambda: next(shown), keep=False) == "second draft"
    assert len(once) == 0


def test_the_least_recently_used_fragment_goes_first_when_full() -> None:
    once = Fragments(limit=2)
    once("a", caller=lambda: "A")
    once("b", caller=lambda: "B")
    once("a", caller=lambda: "A again")  # a used: b is now the oldest
    once("c", caller=lambda: "C")
    assert len(once) == 2
    assert once("a", caller=lambda: "A again") == "A"
    assert once("b", caller=lambda: "B again") == "B again"


def _account_name(page: str) -> str:
    found = re.search(r'href="/account"[^>]*>(.*?)</a>', page, re.S)
    assert found, "no account link in the header"
    return html_lib.unescape(re.sub(r"<[^>]+>|\s+", " ", found.group(1))).strip()


async def test_each_reader_sees_their_own_name_in_a_header_shared_by_their_role(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    readers: dict[str, Browser] = {}
    for username, pseudonym in (("sam", "Sam <b>& co</b>"), ("kit", "Kit")):
        await a.add_user(username, "carer", pseudonym)
        await manage.subnet_add(a.directory, "carers", username)
        readers[pseudonym] = browser(a)
        await readers[pseudonym].sign_in(username)
    for _ in range(2):
        for pseudonym, reader in readers.items():
            status, page = await reader.get(subnet_path(subnet))
            assert status == 200
            assert _account_name(page) == pseudonym
            assert "<b>& co</b>" not in page and "__pseudonym__" not in page


async def test_a_refused_post_keeps_its_words_for_its_author_only(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    sam, kit = browser(a), browser(a)
    for username, reader in (("sam", sam), ("kit", kit)):
        await a.add_user(username, "carer")
        await manage.subnet_add(a.directory, "carers", username)
        await reader.sign_in(username)
    words = "my words about tonight \x07"
    status, page = await sam.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": words}
    )
    assert status == 400 and "my words about tonight" in page and "There is a problem" in page
    for reader in (kit, sam):
        status, page = await reader.get(subnet_path(subnet))
        assert status == 200
        assert "my words about tonight" not in page and "There is a problem" not in page
        assert re.search(r'<textarea class="nhsuk-textarea" id="content" name="content" ', page)
