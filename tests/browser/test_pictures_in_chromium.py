"""In real Chromium at 360 px: a carer chooses a built-in avatar and posts a photo to a shared
subnet — first without a description, which the form asks for, then with one — and a carer at
the partner trust sees it, fetched live from home, with the avatar beside the author's name
(the partner's own copy of it); each page passes axe-core's default rules at both widths."""

from __future__ import annotations

import io
import time

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode, peer_all, share
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, expect

from node import manage

__all__ = ["chromium"]
ALT = "Two mugs of tea on a garden table"


def photo() -> bytes:
    image = Image.new("RGB", (1200, 900), (90, 140, 60))
    draw = ImageDraw.Draw(image)
    draw.ellipse((300, 300, 560, 560), fill=(240, 240, 230))
    draw.ellipse((640, 320, 900, 580), fill=(200, 60, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


async def choose(page: Page, data: bytes) -> None:
    await page.locator("input[type=file][name=picture]").first.set_input_files(
        {"name": "tea.jpg", "mimeType": "image/jpeg", "buffer": data}
    )


async def avatar_shown(page: Page, name: str) -> None:
    """The author's avatar beside their name: this node's own copy of `name`, loaded."""
    avatar = page.locator("img.sharon-avatar--author").first
    await expect(avatar).to_have_attribute("alt", "")
    source = await avatar.get_attribute("src")
    assert source is not None and source.startswith(f"/static/avatars/{name}."), source
    await page.wait_for_function(
        "() => { const i = document.querySelector('img.sharon-avatar--author');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=10_000,
    )
    assert await avatar.evaluate("i => [i.width, i.height]") == [32, 32]


async def loaded(page: Page, alt: str) -> bool:
    """Whether the picture with this alt text is on the page and its pixels arrived."""
    image = page.get_by_role("img", name=alt)
    if not await image.count():
        return False
    return bool(await image.first.evaluate("i => i.complete && i.naturalWidth > 0"))


async def test_a_picture_posted_in_chromium_is_seen_at_the_partner_trust(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    axe = Axe(axe_script=AXE_SCRIPT)
    data = photo()

    sam = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(sam, a.url, "sam")
    await sam.goto(f"{a.url}/account")
    await sam.get_by_label("Wave").check()
    await sam.get_by_role("button", name="Save profile").click()
    await expect(sam.get_by_text("Your profile has been saved")).to_be_visible()
    await sam.goto(f"{a.url}/")
    await sam.get_by_role("link", name="Carers across the Thames Valley").click()
    await expect(sam.get_by_text("Describe the picture").first).to_be_visible()
    await check_both_widths(sam, axe, "picture-form")

    text = "Tea in the garden after a long week (marker PIC1)"
    await sam.get_by_label("Write a post").fill(text)
    await choose(sam, data)
    await sam.get_by_role("button", name="Post", exact=True).click()
    await expect(sam.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(sam.get_by_text("people who use screen readers").first).to_be_visible()
    await check_both_widths(sam, axe, "picture-form-error")

    await sam.set_viewport_size(PHONE)
    await sam.get_by_label("Write a post").fill(text)
    await choose(sam, data)
    await sam.get_by_label("Describe the picture").first.fill(ALT)
    await sam.get_by_role("button", name="Post", exact=True).click()
    await expect(sam.locator(".sharon-post", has_text=text)).to_be_visible()
    await expect(sam.get_by_role("img", name=ALT)).to_be_visible()
    await sam.wait_for_function(
        "alt => [...document.images].some(i => i.alt === alt && i.complete && i.naturalWidth)",
        arg=ALT,
        timeout=10_000,
    )
    await avatar_shown(sam, "wave")
    await check_both_widths(sam, axe, "picture-home")

    alex = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(alex, b.url, "alex")
    await alex.get_by_role("link", name="Carers across the Thames Valley").click()
    posted = time.monotonic()
    while not await loaded(alex, ALT):
        assert time.monotonic() - posted < 15, "the picture did not reach the partner"
        await alex.wait_for_timeout(200)
        await alex.reload()
    source = await alex.get_by_role("img", name=ALT).get_attribute("src")
    assert source is not None and source.startswith("/pictures?")  # the partner's own address
    await avatar_shown(alex, "wave")
    await check_both_widths(alex, axe, "picture-partner")

    await alex.get_by_role("link", name=ALT).click()  # the full picture, from the partner too
    assert alex.url.startswith(f"{b.url}/pictures?")
    await alex.wait_for_function(
        "document.images.length > 0 && document.images[0].complete", timeout=10_000
    )
    size = await alex.evaluate(
        "[document.images[0].naturalWidth, document.images[0].naturalHeight]"
    )
    assert size == [1200, 900]
