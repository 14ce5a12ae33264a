"""Logs are JSON lines with a request id, and hold no personal data: every record written while
two trusts federate — people invited, details recorded, posts written and read elsewhere, bad
passwords and refused requests — is scanned for the details planted along the way."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import aiohttp
import planted_logs
import pytest
from conftest import (
    PASSWORD,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    shows,
    write,
)
from planted_logs import leaked, plant_form
from sqlalchemy import select
from test_invitations import invite, join

from node import logs, manage
from storage.models import InboxItem

REAL_NAME = "Rivera Plantedname"
EMAIL = "rivera.planted@example.nhs.uk"
PHONE = "07700 900461"
NHS_NUMBER = "943 476 5919"
NEW_PASSWORD = "planted kettle orbit lantern"
WRONG_PASSWORD = "planted-wrong-password-77"
POST_TEXT = "I barely slept again and the worry is back (planted post text 8KQ)"
QUERY_TOKEN = "plantedquerytoken0123456789"


async def test_no_log_record_holds_personal_data_and_each_is_one_json_line(
    start_node: StartNode, browser: BrowserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # our own debug lines too
    drivers = {name: logging.getLogger(name).level for name in logs.DRIVER_LOGGERS}
    logs.quiet_drivers()  # as `sharon serve` does (aiosqlite logs SQL parameters at DEBUG)
    lines = io.StringIO()
    handler = logs.json_handler(lines)  # what `sharon serve` writes
    emitted: list[logging.LogRecord] = []
    handler.addFilter(lambda record: emitted.append(record) is None)
    logging.getLogger().addHandler(handler)
    try:
        planted, request_ids = await _federate_with_planted_details(start_node, browser)
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in drivers.items():
            logging.getLogger(name).setLevel(level)

    assert len(caplog.records) > 50
    everything = "\n".join(
        [lines.getvalue(), caplog.text]
        + [f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records]
    ).lower()
    for secret in planted:
        assert secret.lower() not in everything, secret
        assert secret.replace(" ", "").lower() not in everything, secret

    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert len(records) == len(emitted)  # one line per record, whatever its text holds
    for record in records:
        assert {"time", "level", "logger", "event"} <= set(record), record
    logged_ids = {r["request_id"] for r in records if r.get("request_id")}
    assert request_ids and set(request_ids) <= logged_ids  # the access log names each request
    assert any(r.get("peer") for r in records if r["logger"].startswith("federation"))


async def _federate_with_planted_details(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[list[str], list[str]]:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await manage.subnet_add(b.directory, carers, "alex")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")

    link, code = await invite(clinician, real_name=REAL_NAME)
    token = link.split("token=")[1]
    rivera = browser(a)
    status, _ = await join(rivera, link, "rivera", "Willow", password=NEW_PASSWORD)
    assert status == 200
    person = (await a.person_uri("rivera")).rsplit("/", 1)[1]
    details = {"real_name": REAL_NAME, "email": EMAIL, "phone": PHONE, "nhs_number": NHS_NUMBER}
    page = f"/staff/people/{person}"
    status, html = await clinician.submit(page, f"{page}/details", details)
    assert status == 200 and REAL_NAME in html

    await write(rivera, carers, POST_TEXT)
    alex = browser(b)
    await alex.sign_in("alex")
    await eventually(lambda: shows(alex, carers, POST_TEXT))

    stranger = browser(a)
    status, _ = await stranger.submit(
        "/sign-in", "/sign-in", {"username": "rivera", "password": WRONG_PASSWORD}
    )
    request_ids = []
    async with aiohttp.ClientSession() as http:
        for path in (f"/reset?token={QUERY_TOKEN}", f"/join?token={QUERY_TOKEN}"):
            async with http.get(a.url + path) as response:
                request_ids.append(response.headers["X-Request-Id"])
        body = json.dumps({"type": "Create", "content": POST_TEXT, "name": REAL_NAME})
        async with http.post(a.url + "/inbox", data=body) as response:
            assert response.status >= 400
            request_ids.append(response.headers["X-Request-Id"])
        statuses = []
        for activity in (  # signed by a peer, odd enough to be refused or rejected
            {
                "type": "Create",
                "id": f"{b.url}/x/1",
                "actor": f"{b.url}/actor",
                "to": [carers],
                "target": carers,
                "object": f"{b.url}/posts/{EMAIL}",
                "summary": POST_TEXT,
            },
            {
                "type": "Arrive",  # a type this node does not handle
                "id": f"{b.url}/x/2",
                "actor": f"{b.url}/actor",
                "object": [POST_TEXT],
                "content": f"{REAL_NAME} {EMAIL}",
            },
        ):
            document = {"@context": "https://www.w3.org/ns/activitystreams", **activity}
            sent = await b.signed_client(http).request(
                "POST",
                a.url + "/inbox",
                json.dumps(document).encode(),
                signer=f"{b.url}/actor",
                scheme="rfc9421",
            )
            assert sent.status in (202, 400, 403, 422), sent.status
            statuses.append(sent.status)
        assert statuses == [202, 422]  # the Create waits for the worker, which rejects it
        await eventually(lambda: _processed(a, f"{b.url}/x/1"))
        async with http.get(f"{a.url}/subnet?id={quote(carers, safe='')}") as response:
            request_ids.append(response.headers["X-Request-Id"])
    assert len(set(request_ids)) == len(request_ids)
    secrets = [REAL_NAME, EMAIL, PHONE, NHS_NUMBER, NEW_PASSWORD, WRONG_PASSWORD, PASSWORD]
    return [*secrets, POST_TEXT, QUERY_TOKEN, token, code], request_ids


async def _processed(node: TestNode, activity_id: str) -> bool:
    async with node.db.transaction() as s:
        item = await s.scalar(select(InboxItem).where(InboxItem.activity_id == activity_id))
    return item is not None and item.state != "pending"


@contextmanager
def _root_logger_put_back() -> Iterator[logging.Logger]:
    """The root logger, its handlers and level (and the drivers' levels) as they were after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    saved_drivers = {name: logging.getLogger(name).level for name in logs.DRIVER_LOGGERS}
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved_drivers.items():
            logging.getLogger(name).setLevel(level)


def test_serve_logs_json_lines_and_keeps_drivers_to_warnings() -> None:
    stream = io.StringIO()
    with _root_logger_put_back():
        logs.configure(logging.DEBUG, stream)  # as `sharon serve` does, at its most talkative
        token = logs.REQUEST_ID.set("0123abcd")
        logging.getLogger("federation.delivery").info("delivery to %s failed", "peer.example")
        logs.REQUEST_ID.reset(token)
        logging.getLogger("aiosqlite").debug("executing %s", REAL_NAME)
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "delivery to peer.example failed"
    assert record["level"] == "INFO" and record["logger"] == "federation.delivery"
    assert record["request_id"] == "0123abcd" and record["time"].endswith("+00:00")


class _Threads(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.threads.append(threading.get_ident())


def test_serve_writes_log_lines_off_the_event_loop_with_their_context_and_tracebacks() -> None:
    stream, threads = io.StringIO(), _Threads()
    hosts = ["peer.example"]
    with _root_logger_put_back() as root:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(logs.json_handler(stream))
        root.addHandler(threads)
        root.setLevel(logging.INFO)
        with logs.off_the_loop():
            token = logs.REQUEST_ID.set("0123abcd")
            try:
                raise TimeoutError
            except TimeoutError:
                logging.getLogger("federation.delivery").exception("sending to %s failed", hosts)
            logs.REQUEST_ID.reset(token)
            hosts.append("changed after logging")
        written_inside = stream.getvalue()
    assert threads.threads and threading.get_ident() not in threads.threads
    (line,) = written_inside.splitlines()  # every queued line is out when the block ends
    record = json.loads(line)
    assert record["event"] == "sending to ['peer.example'] failed"
    assert record["request_id"] == "0123abcd" and record["level"] == "ERROR"
    assert "TimeoutError" in record["exc_info"]


def test_the_suite_wide_scan_finds_typed_text_in_a_log_line() -> None:
    """The check every test's teardown makes (tests/planted_logs.py) does find a leak."""
    lines = io.StringIO()
    handler = logs.json_handler(lines)
    logging.getLogger("sharon.test").addHandler(handler)
    try:
        plant_form([("content", POST_TEXT), ("action", "remove"), ("password", WRONG_PASSWORD)])
        logging.getLogger("sharon.test").warning("wrote %s", POST_TEXT)
        logging.getLogger("sharon.test").warning("a person signed in with %s", WRONG_PASSWORD)
        assert leaked(lines.getvalue()) == {POST_TEXT: "content", WRONG_PASSWORD: "password"}
        assert leaked('{"event": "remove"}') == {}
    finally:
        logging.getLogger("sharon.test").removeHandler(handler)
        planted_logs.forget()
