"""`sharon serve`: a node's web processes and its worker process, forked and watched by one
parent.

Accepting HTTP and working the queues no longer share one event loop: the web processes
verify, store and answer; the worker process processes, plans, signs and sends. The parent
imports the node and loads the screening model once, then forks each child (so a child starts
in well under a second and shares the model's memory), restarts one that dies (logged, after a
growing pause), and on SIGTERM or SIGINT stops them all and waits. Each child watches a pipe
from the parent: if the parent is killed, even by SIGKILL, the pipe closes and the child stops
itself, so no orphan keeps serving. The parent never starts an event loop or a thread, so
forking it is safe.

Several web processes (`--processes N`, PostgreSQL only) bind the same port with
`SO_REUSEPORT` and the kernel spreads connections among them; several `sharon serve` on one
machine, or on several behind a load balancer, work the same way. On SQLite there is one web
process and one worker process: SQLite has one writer, and its worker lock (node/app.py) keeps a
second worker from starting.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

STOP_WITHIN = 30.0
FIRST_PAUSE, MAX_PAUSE = 0.5, 30.0
_FORK = multiprocessing.get_context("fork")


def freeze_heap() -> None:
    """Move everything alive now out of the collector's sight (`gc.freeze`), once a process has
    built its app. A node's long-lived heap (the screening model, templates, ORM mappers: about
    250,000 objects) otherwise makes every full collection walk it — a pause of ~120 ms in which
    no request is answered. Called by `sharon serve` / `sharon work`, never by tests, which build
    many apps in one process and must have each one collected."""
    gc.collect()
    gc.freeze()


@dataclass
class Child:
    """One child process: `main()` runs in it and returns its exit code."""

    name: str
    main: Callable[[], int]
    process: Any = None
    restarts: int = 0
    start_at: float = 0.0

    def start(self, pipe: tuple[int, int]) -> None:
        self.process = _FORK.Process(target=_child, args=(self.main, *pipe), name=self.name)
        self.process.start()
        log.info("started %s process: pid=%s", self.name, self.process.pid)


def _child(main: Callable[[], int], parent_alive: int, keep_open: int) -> None:
    os.close(keep_open)  # else this child would keep its own watch alive
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_now)  # until the app puts in its own, graceful stop
    _stop_with_parent(parent_alive)
    code = 1
    try:
        code = main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException as error:  # its type and where, never its message (it may hold data)
        where = "".join(traceback.format_tb(error.__traceback__))
        log.critical("process failed: error=%s\n%s", type(error).__name__, where)
    finally:
        logging.shutdown()
        os._exit(code)


def _stop_now(signum: int, _frame: FrameType | None) -> None:
    """Stop by unwinding (SystemExit), not at once: whatever `main` holds open is closed on
    the way out, and log lines still queued (node/logs.py `off_the_loop`) are written."""
    raise SystemExit(128 + signum)


def _stop_with_parent(parent_alive: int) -> None:
    """Stop (SIGTERM to self) once the parent's end of the pipe closes, however it died."""

    def watch() -> None:
        try:
            while os.read(parent_alive, 1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()


@dataclass
class Parent:
    """Runs `children` until told to stop; returns the exit code."""

    children: list[Child]
    stopping: bool = False
    poll: float = 0.2
    _signals: list[int] = field(default_factory=list)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        self._signals.append(signum)

    def run(self) -> int:
        pipe = os.pipe()  # children read; only this process holds the other end (never writes)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            for child in self.children:
                child.start(pipe)
            while not self.stopping:
                time.sleep(self.poll)
                self._watch(pipe)
            return self._stop_children()
        finally:
            for end in pipe:
                os.close(end)

    def _watch(self, pipe: tuple[int, int]) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.process is None:
                if now >= child.start_at and not self.stopping:
                    child.start(pipe)
                continue
            code = child.process.exitcode
            if code is None or self.stopping:
                continue
            child.restarts += 1
            pause = min(FIRST_PAUSE * 2 ** (child.restarts - 1), MAX_PAUSE)
            log.error("%s process ended: code=%s; restarting in %s s", child.name, code, pause)
            child.process, child.start_at = None, now + pause

    def _stop_children(self) -> int:
        running = [c.process for c in self.children if c.process and c.process.is_alive()]
        for process in running:
            process.terminate()  # SIGTERM: each stops its workers and closes its connections
        deadline = time.monotonic() + STOP_WITHIN
        for process in running:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                log.error(
                    "process %s did not stop within %s s; killing it", process.pid, STOP_WITHIN
                )
                process.kill()
                process.join()
        return 0
