"""The admin CLI: clear one-line errors and non-zero exits for impossible requests."""

from __future__ import annotations

import argparse
import logging
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from node.cli import main, parser
from node.logs import PathOnlyAccessLogger


def test_init_creates_a_node_with_private_keys_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "trust"
    assert main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"]) == 0
    for key in node.glob("instance-*.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (node / "sharon.toml").is_file() and (node / "sharon.sqlite3").is_file()
    assert main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Again"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_bad_requests_print_one_line_and_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    capsys.readouterr()
    password = tmp_path / "pw"
    password.write_text("short\n")
    cases = [
        ["user", "add", str(node), "sam", "--role", "carer", "--password-file", str(password)],
        ["subnet", "create", str(node), "Not A Slug", "--name", "X"],
        ["subnet", "share", str(node), "nope", "http://127.0.0.1:1"],
        ["subnet", "add", str(node), "nope", "nobody"],
        ["peer", "list", str(tmp_path / "missing")],
        ["init", str(tmp_path / "other"), "--url", "ftp://x", "--name", "X"],
    ]
    for argv in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("sharon: ") and "\n" not in err, (argv, err)


def test_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "node.cli", "peer", "list", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "not a SHaRON node directory" in result.stderr


def test_keys_rotate_writes_new_private_keys_and_keeps_the_old_pair_retired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    before = (node / "instance-rsa.pem").read_bytes()
    assert main(["keys", "rotate", str(node)]) == 0
    assert "Restart the node" in capsys.readouterr().out
    assert (node / "instance-rsa.pem").read_bytes() != before
    assert (node / "retired-instance-rsa.pem").read_bytes() == before
    for key in node.glob("*.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not list(node.glob("*.new"))


def test_invite_create_prints_a_link_and_a_code_and_refuses_non_staff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    password = tmp_path / "pw"
    password.write_text("kettle orbit lantern\n")
    for username, role in (("dr-ahmed", "clinician"), ("sam", "carer")):
        main(["user", "add", str(node), username, "--role", role, "--password-file", str(password)])
    main(["subnet", "create", str(node), "carers", "--name", "Carers"])
    main(["subnet", "add", str(node), "carers", "dr-ahmed"])
    capsys.readouterr()
    invite = ["invite", "create", str(node), "--role", "patient", "--subnet", "carers"]
    assert main([*invite, "--by", "dr-ahmed"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:9/join?token=" in out and "code: " in out
    assert main([*invite, "--by", "sam"]) == 1
    assert capsys.readouterr().err.startswith("sharon: You cannot invite")


def test_sharing_commands_refuse_what_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    main(["subnet", "create", str(node), "carers", "--name", "Carers"])
    capsys.readouterr()
    cases = [
        ["subnet", "unshare", str(node), "carers", "http://127.0.0.1:1"],
        ["peer", "remove", str(node), "http://127.0.0.1:1"],
        ["share", "accept", str(node), "http://127.0.0.1:1/subnets/x"],
        ["share", "decline", str(node), "http://127.0.0.1:1/subnets/x"],
        ["subnet", "policy", str(node), "carers", "--retention-days", "-3"],
        ["subnet", "policy", str(node), "nope", "--posting", "staff"],
    ]
    for argv in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("sharon: ") and "\n" not in err, (argv, err)
    assert main(["share", "list", str(node)]) == 0
    assert "No share invitations waiting" in capsys.readouterr().out
    assert main(["subnet", "policy", str(node), "carers", "--posting", "staff"]) == 0
    assert "posting=staff" in capsys.readouterr().out
    assert main(["retention", "run", str(node)]) == 0
    assert "Erased 0 posts" in capsys.readouterr().out


def test_the_access_log_never_writes_tokens_from_the_query_string(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.access")
    request = make_mocked_request("GET", "/join?token=SECRET-TOKEN-VALUE")
    with caplog.at_level(logging.INFO, logger="test.access"):
        PathOnlyAccessLogger(logger, "").log(request, web.Response(status=200), 0.01)
    assert "GET /join 200" in caplog.text and "SECRET" not in caplog.text


def test_a_sqlite_node_runs_one_web_process_and_one_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    capsys.readouterr()
    assert main(["serve", str(node), "--processes", "2"]) == 1
    assert "needs PostgreSQL" in capsys.readouterr().err
    first = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "work", str(node)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list((node / "run").glob("*.port")):  # written once it holds the lock
            assert first.poll() is None and time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.2)
        second = subprocess.run(
            [sys.executable, "-m", "node.cli", "work", str(node)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert second.returncode == 1
        assert "sharon: another worker is running" in second.stderr.splitlines()[-1]
    finally:
        first.terminate()
        first.wait(30)


def test_every_command_dispatches_through_its_parser_default() -> None:
    """Each leaf sub-command names the function that runs it (`set_defaults(run=…)`)."""

    def leaves(
        command: argparse.ArgumentParser, path: tuple[str, ...]
    ) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
        groups = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        found = [(path, command)] if not groups or not groups[0].required else []
        for group in groups:
            for name, child in group.choices.items():
                found += leaves(child, (*path, name))
        return found

    commands = leaves(parser(), ())
    assert len(commands) >= 25
    for path, command in commands:
        assert callable(command.get_default("run")), path
