"""Notices reach every process of a node's data directory (SQLite: loopback datagrams), the
sender included, and a process that has gone is dropped from the list rather than waited for;
the list is read again whenever a process comes or goes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import eventually

from storage.notify import LocalNotices


async def test_a_notice_reaches_every_process_of_the_data_directory(tmp_path: Path) -> None:
    heard: dict[str, list[str]] = {"web": [], "worker": []}
    web, worker = LocalNotices(tmp_path / "run"), LocalNotices(tmp_path / "run")
    web.subscribe("sharon_wake", heard["web"].append)
    worker.subscribe("sharon_wake", heard["worker"].append)
    await web.start()
    await worker.start()
    gone = tmp_path / "run" / "999999999-dead.port"  # a process that died without cleaning up
    gone.write_text("9")
    half = tmp_path / "run" / "999999998-dead.new"  # one that died writing its port file
    half.write_text("")
    try:
        web.publish("sharon_wake", '{"queue": "inbox"}')

        async def both() -> bool:
            return all(messages == ['{"queue": "inbox"}'] for messages in heard.values())

        await eventually(both)
        assert not gone.exists() and not half.exists()
    finally:
        await web.stop()
        await worker.stop()
    assert list((tmp_path / "run").iterdir()) == []


async def test_a_process_started_after_the_list_was_read_hears_the_next_notice(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    heard: list[str] = []
    worker_heard: list[str] = []
    web, worker = LocalNotices(run), LocalNotices(run)
    late = LocalNotices(run)
    late.subscribe("sharon_wake", heard.append)
    worker.subscribe("sharon_wake", worker_heard.append)
    await web.start()
    await worker.start()
    try:
        settled = time.time_ns() - 60_000_000_000  # the list unchanged for a minute
        os.utime(run, ns=(settled, settled))
        web.publish("sharon_wake", '{"queue": "outbox"}')  # the list is read, and kept
        await late.start()  # its port file changes the directory
        web.publish("sharon_wake", '{"queue": "inbox"}')

        async def heard_it() -> bool:
            return len(heard) == 1 and len(worker_heard) == 2

        await eventually(heard_it)
    finally:
        for notices in (web, worker, late):
            await notices.stop()
    assert heard == ['{"queue": "inbox"}']  # the late process hears what was sent once it listens
    assert worker_heard == ['{"queue": "outbox"}', '{"queue": "inbox"}']  # the kept list held
