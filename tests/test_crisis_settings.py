"""Crisis settings a trust's CSO sets (docs/clinical-safety.md): helplines, staffed hours,
escalation time and the paging webhook; a bad value names itself and the node does not start.
The audience of a subnet, from the CLI, brings its default for holding concern posts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from conftest import BrowserFactory, StartNode, _database_url, _drop_databases
from test_migrations import _tables

from actors.support import DEFAULT_HELPLINES, Helpline, StaffedHours, helplines_for, when
from node.cli import main
from node.settings import SettingsError, load
from storage.migrate import alembic_config, upgrade


def _node(tmp_path: Path, extra: str) -> Path:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    with (node / "sharon.toml").open("a") as config:
        config.write(extra)
    return node


def test_defaults_are_the_national_helplines_and_fifteen_minutes(tmp_path: Path) -> None:
    settings = load(_node(tmp_path, ""), environ={})
    assert settings.helplines == DEFAULT_HELPLINES
    assert settings.alert_escalate_minutes == 15 and settings.alert_webhook_url == ""
    adults = [line.text for line in helplines_for(settings.helplines, "adults")]
    assert adults == [
        "Call Samaritans on 116 123",
        "Call NHS 111, option 2",
        "Text SHOUT to 85258",
        "Call 999",
    ]
    young = [line.href for line in helplines_for(settings.helplines, "under_18")]
    assert "tel:08001111" in young


def test_a_trust_sets_its_own_helplines_and_pager(tmp_path: Path) -> None:
    node = _node(
        tmp_path,
        'staffed_hours = "Mon-Sun 08:00-20:00"\n'
        "alert_escalate_minutes = 10\n"
        'alert_webhook_url = "https://pager.example.nhs.uk/hook"\n'
        'alert_webhook_secret = "0123456789abcdef0123"\n'
        '[[helpline]]\nname = "Crisis team"\nnumber = "0300 000 0000"\n'
        'detail = "Our own crisis line"\n',
    )
    settings = load(node, environ={"SHARON_ALERT_ESCALATE_MINUTES": "5"})
    assert settings.alert_escalate_minutes == 5
    assert [line.href for line in settings.helplines] == ["tel:03000000000"]
    assert settings.staffed_hours == "Mon-Sun 08:00-20:00"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('staffed_hours = "whenever"\n', "staffed hours"),
        ('staffed_hours = "Mon-Fri 17:00-09:00"\n', "end before they start"),
        ("alert_escalate_minutes = 0\n", "alert_escalate_minutes"),
        ('alert_webhook_url = "ftp://pager"\nalert_webhook_secret = "x" \n', "http(s) URL"),
        ('alert_webhook_url = "https://pager"\nalert_webhook_secret = "short"\n', "16 char"),
        ('[[helpline]]\nnumber = "111"\n', "name"),
    ],
)
def test_a_bad_crisis_setting_stops_the_node_with_its_name(
    tmp_path: Path, extra: str, problem: str
) -> None:
    with pytest.raises(SettingsError, match="a setting is not valid") as raised:
        load(_node(tmp_path, extra), environ={})
    assert problem in str(raised.value)


def test_staffed_hours_say_when_the_team_is_next_online() -> None:
    hours = StaffedHours.parse("Mon-Fri 09:00-17:00")
    friday_evening = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    monday = hours.next_start(friday_evening)
    assert monday is not None and when(monday, friday_evening) == "at 9am on Monday"
    tuesday_early = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    begins = hours.next_start(tuesday_early)
    assert begins is not None and when(begins, tuesday_early) == "at 9am today"
    assert hours.next_start(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) is None
    summer = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)
    assert hours.next_start(summer) is None


def test_subnet_audience_from_the_cli_brings_its_default_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = _node(tmp_path, "")
    main(["subnet", "create", str(node), "camhs", "--name", "CAMHS"])
    capsys.readouterr()
    assert main(["subnet", "policy", str(node), "camhs", "--audience", "under_18"]) == 0
    assert "audience=under_18 hold_concern=True" in capsys.readouterr().out
    assert main(["subnet", "policy", str(node), "camhs", "--hold-concern", "off"]) == 0
    assert "audience=under_18 hold_concern=False" in capsys.readouterr().out
    assert main(["subnet", "policy", str(node), "camhs", "--audience", "adults"]) == 0
    assert "audience=adults hold_concern=False" in capsys.readouterr().out


async def test_the_crisis_migration_goes_up_down_and_up(tmp_path: Path) -> None:
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    new = {"alert", "alert_note", "on_duty", "page"}
    try:
        await asyncio.to_thread(upgrade, url)
        assert new <= await _tables(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0003")
        assert not new & await _tables(url)
        await asyncio.to_thread(upgrade, url)
        assert new <= await _tables(url)
    finally:
        await _drop_databases(created)


async def test_the_banner_on_every_page_shows_the_trusts_own_helplines(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """One source for every crisis surface: the `[[helpline]]` numbers a trust configured, not
    numbers written into a template."""
    own = (
        Helpline("Oxford crisis line", "0300 000 0000"),
        Helpline("Shout", "85258", kind="text", body="SHOUT"),
        Helpline("Childline", "0800 1111", under_18_only=True),
    )
    node = await start_node("Own Numbers Trust", helplines=own)
    await node.add_user("pat", "patient", "Pat")
    visitor, pat = browser(node), browser(node)
    await pat.sign_in("pat")
    for person, path in ((visitor, "/sign-in"), (pat, "/"), (pat, "/account"), (pat, "/help")):
        status, html = await person.get(path)
        banner = html.split('aria-label="Crisis support"', 1)[1].split("</aside>")[0]
        assert status == 200
        assert "Oxford crisis line 0300 000 0000" in banner, path
        assert "Shout: text SHOUT to 85258" in banner
        assert "Samaritans" not in banner and "Childline" not in banner  # adults' lines only
    _, help_page = await visitor.get("/help")
    assert 'href="tel:03000000000"' in help_page and 'href="tel:08001111"' in help_page
    assert "116 123" not in help_page
