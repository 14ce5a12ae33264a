"""Editing a post on its own page: the subnet page links to it instead of carrying every post's
text a second time in a hidden form; only the author reaches it; a refused edit keeps the text."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from conftest import BrowserFactory, StartNode, subnet_path, write

from node import manage


async def test_the_author_edits_on_the_edit_page(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer", "Sam")
    await a.add_user("robin", "carer", "Robin")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(a.directory, "carers", "robin")
    sam, robin = browser(a), browser(a)
    await sam.sign_in("sam")
    await robin.sign_in("robin")
    await write(sam, subnet, "A long day at the hospital (marker P1)")
    post = await a.post_uri("A long day at the hospital (marker P1)")

    _, page = await sam.get(subnet_path(subnet))
    assert page.count("marker P1") == 1  # shown once, not repeated in an edit box
    edit = "/posts/edit?" + urlencode({"object": post, "subnet": subnet})
    assert edit.replace("&", "&amp;") in page

    status, form = await sam.get(edit)
    assert (
        status == 200 and "Edit your post" in form and re.search(r"marker P1\)\s*</textarea>", form)
    )
    status, refused = await sam.submit(
        edit, "/posts/edit", {"subnet": subnet, "object": post, "content": "   "}
    )
    assert status == 400 and "There is a problem" in refused and "Edit your post" in refused
    status, done = await sam.submit(
        edit, "/posts/edit", {"subnet": subnet, "object": post, "content": "Better now (P2)"}
    )
    assert status == 200 and "Better now (P2)" in done and "marker P1" not in done

    status, _ = await robin.get(edit)
    assert status == 404  # not hers: as if there were no such post
    _, page = await robin.get(subnet_path(subnet))
    assert "/posts/edit?" not in page
