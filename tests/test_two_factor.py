"""Staff sign in with a password and a TOTP code (or a one-time recovery code)."""

from __future__ import annotations

import re
import time

import pyotp
from conftest import FAST_HASHER, PASSWORD, TOTP_SECRET, Browser, BrowserFactory, StartNode

from node import manage


async def _password_only(browser: Browser, username: str) -> str:
    _, html = await browser.submit(
        "/sign-in", "/sign-in", {"username": username, "password": PASSWORD}
    )
    return html


async def _code(
    browser: Browser, code: str, action: str = "/sign-in/two-factor"
) -> tuple[int, str]:
    return await browser.submit("/sign-in/two-factor", action, {"code": code, "next": "/"})


async def test_a_new_clinician_must_set_up_an_app_before_seeing_anything(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await manage.add_user(a.directory, "dr-ahmed", "clinician", PASSWORD, hasher=FAST_HASHER)
    clinician = browser(a)
    html = await _password_only(clinician, "dr-ahmed")
    assert "Set up your authenticator app" in html
    for path in ("/", "/staff/invitations"):
        _, html = await clinician.get(path)
        assert "Set up your authenticator app" in html and "My subnets" not in html
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', html).group(1)
    assert "otpauth://totp/" in html
    status, html = await clinician.submit(
        "/sign-in/two-factor", "/sign-in/two-factor/enrol", {"secret": secret, "code": "000000"}
    )
    assert status == 400 and "That code is not right" in html
    status, html = await clinician.submit(
        "/sign-in/two-factor",
        "/sign-in/two-factor/enrol",
        {"secret": secret, "code": pyotp.TOTP(secret).now(), "next": "/"},
    )
    assert status == 200 and "Save your recovery codes" in html
    codes = re.findall(r"<li>([A-Z0-9]{5}-[A-Z0-9]{5})</li>", html)
    assert len(codes) == 10
    status, html = await clinician.get("/")
    assert "My subnets" in html


async def test_a_password_alone_does_not_sign_staff_in_and_codes_do_not_replay(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician")
    first, second = browser(a), browser(a)
    assert "Enter your security code" in await _password_only(first, "dr-ahmed")
    status, html = await first.get("/")
    assert "Enter your security code" in html and "My subnets" not in html
    status, html = await _code(first, "123456")
    assert status == 400 and "That code is not right" in html
    code = pyotp.TOTP(TOTP_SECRET).at(time.time() + 30)
    status, html = await _code(first, code)
    assert status == 200 and "My subnets" in html
    await _password_only(second, "dr-ahmed")
    status, html = await _code(second, code)
    assert status == 400 and "used already" in html


async def test_a_recovery_code_signs_in_once(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await manage.add_user(a.directory, "dr-ahmed", "clinician", PASSWORD, hasher=FAST_HASHER)
    enrolling = browser(a)
    html = await _password_only(enrolling, "dr-ahmed")
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', html).group(1)
    _, html = await enrolling.submit(
        "/sign-in/two-factor",
        "/sign-in/two-factor/enrol",
        {"secret": secret, "code": pyotp.TOTP(secret).now()},
    )
    recovery = re.findall(r"<li>([A-Z0-9]{5}-[A-Z0-9]{5})</li>", html)[3]
    lost_phone = browser(a)
    await _password_only(lost_phone, "dr-ahmed")
    status, html = await _code(lost_phone, recovery.lower())
    assert status == 200 and "My subnets" in html
    again = browser(a)
    await _password_only(again, "dr-ahmed")
    status, _ = await _code(again, recovery)
    assert status == 400


async def test_five_wrong_codes_lock_the_account(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician")
    guesser = browser(a)
    await _password_only(guesser, "dr-ahmed")
    for guess in range(5):
        await _code(guesser, f"{guess:06d}")
    status, html = await _code(guesser, pyotp.TOTP(TOTP_SECRET).now())
    assert status == 400 and "Too many attempts" in html


async def test_patients_and_carers_sign_in_with_a_password_alone(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("river", "patient")
    html = await _password_only(browser(a), "river")
    assert "My subnets" in html and "security code" not in html


async def test_staff_renew_recovery_codes_with_a_current_app_code(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")
    _, page = await clinician.get("/account")
    assert "You have 0 recovery codes left" in page
    status, page = await clinician.submit("/account", "/account/recovery-codes", {"code": "1"})
    assert status == 400 and "That code is not right" in page
    code = pyotp.TOTP(TOTP_SECRET).at(time.time() + 30)
    status, page = await clinician.submit("/account", "/account/recovery-codes", {"code": code})
    assert status == 200 and len(re.findall(r"<li>[A-Z0-9]{5}-[A-Z0-9]{5}</li>", page)) == 10
    _, page = await clinician.get("/account")
    assert "You have 10 recovery codes left" in page
