"""`sharon serve`'s children (node/processes.py): stopped before their app has put in its own
signal handlers (while it starts), a child still writes every log line it queued, and a child
whose main fails says what failed and where, never the error's message."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from node import logs, processes


def _run_child(main: Callable[[], int], log_file: Path) -> int:
    """`main` in a forked child of this process, logging JSON lines to `log_file`; its exit
    code."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    with log_file.open("w", buffering=1) as stream:
        try:
            logs.configure(logging.INFO, stream)
            child = processes.Child("web", main)
            parent_alive, keep_open = os.pipe()
            child.start((parent_alive, keep_open))
            child.process.join(30)
            os.close(parent_alive)
            os.close(keep_open)
        finally:
            root.handlers, root.level = saved[0], saved[1]
    return int(child.process.exitcode)


def test_a_child_stopped_while_it_starts_writes_every_line_it_queued(tmp_path: Path) -> None:
    def starting() -> int:
        with logs.off_the_loop():
            for n in range(2000):
                logging.getLogger("startup").info("step %s", n)
            os.kill(os.getpid(), signal.SIGTERM)  # the parent stopping it, before run_app
            time.sleep(10)
        return 0

    code = _run_child(starting, tmp_path / "log")
    lines = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]
    assert code == 128 + signal.SIGTERM
    assert [line["event"] for line in lines if line["logger"] == "startup"] == [
        f"step {n}" for n in range(2000)
    ]


def test_a_child_whose_main_fails_logs_the_error_type_and_where_but_not_its_message(
    tmp_path: Path,
) -> None:
    detail = "bind failed for planted-detail-9Q"

    def failing() -> int:
        raise RuntimeError(detail)

    assert _run_child(failing, tmp_path / "log") == 1
    (line,) = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()][-1:]
    assert line["level"] == "CRITICAL" and "error=RuntimeError" in line["event"]
    assert "in failing" in line["event"] and "planted-detail-9Q" not in line["event"]
