"""The one engine every background job runs on: queues of rows, periodic jobs, supervised tasks.

**Queues.** A queue is a table whose rows mix in `storage.models.QueueRow` (`state`,
`attempts`, `next_attempt_at`, `locked_until`, `last_error`) plus an object that implements
`Queue`: `claim` leases due rows, `handle` does one row's work and returns its `Outcome`,
`record` writes many settled outcomes at once. `QueueWorker` drives it:

* the outcome a handler returns is final for that attempt: `done`, `retry(delay)`,
  `rejected(reason)` (refused for good, e.g. a domain refusal), `failed(error)`;
* **any exception** raised while handling one row is one failed attempt of that row alone —
  its batch-mates are handled as if nothing happened — with the error's *type* recorded (an
  exception's text may carry a peer's words or personal data, so it is never stored or logged);
* a retry waits `policy.backoff(attempts)` (exponential, jittered) unless the handler named a
  delay; a row out of `policy.max_attempts` is `failed`, and that is recorded and logged;
* a queue may offer `handle_batch` (every row in one transaction, all or nothing, for speed):
  if it raises, each row is handled alone, so the slow path is paid only when something is
  wrong. A claimed batch is handed over `chunk` rows at a time: on SQLite a transaction holds
  the one write turn of every process, so a 200-row transaction would keep the inbox's group
  commit (and every other writer) waiting for its whole length, where 16 rows keep it waiting
  a few milliseconds while costing little more in commits (a queue whose rows cost a fraction
  of an inbox item's may take more at a time: planning, federation/delivery.py). A handler
  that commits its own `done` together with its work (exactly-once) returns
  `Outcome.done(recorded=True)` and the engine does not write that row again;
* if claiming or recording fails (the database went away) the worker pauses and carries on;
  leases expire, so nothing is lost and nothing is done twice by two workers.

**Periodic jobs** (`Periodic`) run every `every` under the same policy: an exception is a
failed attempt, retried after a backoff no longer than `every`; after `max_attempts` failures in
a row it is logged as failed, and the job still runs at its next interval.

**Supervision.** `Supervisor` runs named forever-tasks; one that ends for any reason other than
the supervisor stopping (an escaped exception, a stray cancel) is logged and started again after
a short, growing pause. `stop()` cancels every task and waits for them, bounded.

**Counts.** Each settled attempt, periodic run and restart is added to the `WorkCounts`
(federation/work_counts.py) the node passes in, which `/metrics` shows per queue and task.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, Protocol, TypeVar

from actors.clock import Clock
from federation.work_counts import WorkCounts

log = logging.getLogger(__name__)

State = Literal["done", "pending", "rejected", "failed"]
R = TypeVar("R")
Faults = Callable[[str, Any], None]
"""A test seam, injected explicitly: called as `faults(queue name, row)` just before a row's work;
whatever it raises is what that row's work raised. Production passes `no_faults`."""


def no_faults(queue: str, row: Any) -> None:
    """The production fault hook: nothing is injected."""


class Row(Protocol):
    """What the engine reads of a queue row."""

    attempts: int


@dataclass(frozen=True)
class Outcome:
    """How one attempt at one row ended. `status` is a remote answer's status code, if any."""

    state: State
    delay: timedelta | None = None
    error: str | None = None
    status: int | None = None
    recorded: bool = False

    @classmethod
    def done(cls, *, status: int | None = None, recorded: bool = False) -> Outcome:
        return cls("done", timedelta(), status=status, recorded=recorded)

    @classmethod
    def retry(
        cls, *, delay: timedelta | None = None, error: str | None = None, status: int | None = None
    ) -> Outcome:
        return cls("pending", delay, error, status)

    @classmethod
    def rejected(cls, reason: str, *, status: int | None = None) -> Outcome:
        return cls("rejected", timedelta(), reason, status)

    @classmethod
    def failed(cls, error: str, *, status: int | None = None) -> Outcome:
        return cls("failed", timedelta(), error, status)


def error_name(error: BaseException) -> str:
    """What is recorded of an exception: its type, never its text."""
    return type(error).__name__


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter: `first`, doubling, capped at `cap`."""

    max_attempts: int
    first: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(days=1)
    jitter: float = 0.25

    def backoff(self, attempts: int) -> timedelta:
        doubling: int = 2 ** max(attempts - 1, 0)
        base = min(self.first * doubling, self.cap)
        spread = random.uniform(1 - self.jitter, 1 + self.jitter)  # noqa: S311 — jitter only
        return base * spread


@dataclass(frozen=True)
class Settled(Generic[R]):
    """A row's outcome after the policy: what to write back."""

    row: R
    outcome: Outcome
    attempts: int
    next_attempt_at: datetime

    def values(self, row_id: Any) -> dict[str, Any]:
        """The bulk-update parameters of the common `QueueRow` columns."""
        return {
            "id": row_id,
            "state": self.outcome.state,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "locked_until": None,
            "last_error": self.outcome.error[:200] if self.outcome.error else None,
        }


def settle(policy: RetryPolicy, row: Row, outcome: Outcome, now: datetime) -> Settled[Any]:
    """Count the attempt and apply the bound: a retry past `max_attempts` is a failure."""
    attempts = row.attempts + 1
    if outcome.state == "pending" and attempts >= policy.max_attempts:
        outcome = Outcome("failed", timedelta(), outcome.error or "out of attempts", outcome.status)
    delay = outcome.delay if outcome.delay is not None else policy.backoff(attempts)
    return Settled(row, outcome, attempts, now + delay)


class Queue(Protocol[R]):
    """One kind of queued work. `concurrent` rows of a batch are handled at the same time
    (I/O-bound work such as sending); otherwise one after another, in claim order."""

    name: str
    policy: RetryPolicy
    concurrent: bool

    async def claim(self, now: datetime, limit: int) -> Sequence[R]: ...

    async def handle(self, row: R) -> Outcome: ...

    async def record(self, settled: Sequence[Settled[R]], now: datetime) -> None: ...


class BatchQueue(Queue[R], Protocol[R]):
    async def handle_batch(self, rows: Sequence[R]) -> Sequence[Outcome]:
        """Every row at once, all or nothing; raise to have each handled alone."""
        ...


@dataclass
class QueueWorker(Generic[R]):
    """Claims, handles and records one queue's rows until cancelled."""

    queue: Queue[R]
    clock: Clock
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    batch: int = 200
    idle: float = 0.25
    counts: WorkCounts = field(default_factory=WorkCounts)
    chunk: int = 16

    async def run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception as error:  # the database is unavailable: leases expire, try again
                log.error(
                    "%s: claim or record failed: error=%s", self.queue.name, error_name(error)
                )
                busy = 0
                await asyncio.sleep(1.0)
            if not busy:
                await self._idle()

    async def _idle(self) -> None:
        """Wait until woken or `idle` seconds pass. `asyncio.timeout`, not `wait_for`: on
        Python 3.11 `wait_for` swallows a cancellation that lands as the wake-up does, and a
        worker that outlives its cancellation hangs the shutdown that cancelled it."""
        self.wake.clear()
        try:
            async with asyncio.timeout(self.idle):
                await self.wake.wait()
        except TimeoutError:
            pass

    async def run_once(self) -> int:
        """Claim one batch, handle every row, record every outcome; returns rows taken."""
        rows = list(await self.queue.claim(self.clock(), self.batch))
        if not rows:
            return 0
        outcomes = await self._handle_all(rows)
        now = self.clock()
        settled = [
            settle(self.queue.policy, row, outcome, now)  # type: ignore[arg-type]
            for row, outcome in zip(rows, outcomes, strict=True)
        ]
        for item in settled:
            if item.outcome.state == "failed" and item.outcome.status is None:
                log.warning(
                    "%s: item failed for good after %s attempts: error=%s",
                    self.queue.name,
                    item.attempts,
                    item.outcome.error,
                )
        await self.queue.record([item for item in settled if not item.outcome.recorded], now)
        for item in settled:
            self.counts.settled(self.queue.name, item.outcome.state)
        return len(rows)

    async def _handle_all(self, rows: list[R]) -> list[Outcome]:
        handle_batch: Callable[[Sequence[R]], Awaitable[Sequence[Outcome]]] | None
        handle_batch = getattr(self.queue, "handle_batch", None)
        if handle_batch is None:
            return await self._handle_each(rows)
        outcomes: list[Outcome] = []
        for start in range(0, len(rows), self.chunk):
            outcomes += await self._handle_chunk(handle_batch, rows[start : start + self.chunk])
        return outcomes

    async def _handle_chunk(
        self,
        handle_batch: Callable[[Sequence[R]], Awaitable[Sequence[Outcome]]],
        rows: list[R],
    ) -> list[Outcome]:
        if len(rows) > 1:
            try:
                return list(await handle_batch(rows))
            except Exception:  # noqa: S110 — each row is redone alone below, where it is counted
                pass
        return await self._handle_each(rows)

    async def _handle_each(self, rows: list[R]) -> list[Outcome]:
        if self.queue.concurrent:
            return list(await asyncio.gather(*(self._handle_one(row) for row in rows)))
        return [await self._handle_one(row) for row in rows]

    async def _handle_one(self, row: R) -> Outcome:
        try:
            return await self.queue.handle(row)
        except Exception as error:
            name = error_name(error)
            log.info("%s: attempt failed: error=%s", self.queue.name, name)
            return Outcome.retry(error=name)


@dataclass
class Periodic:
    """A job run every `every`; failures are retried sooner (backoff, at most `every`)."""

    name: str
    job: Callable[[datetime], Awaitable[Any]]
    clock: Clock
    every: timedelta
    policy: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(max_attempts=5, first=timedelta(seconds=5))
    )
    failures: int = 0
    last_error: str | None = None
    counts: WorkCounts = field(default_factory=WorkCounts)

    async def run_once(self) -> bool:
        """One run; True if it succeeded. Never raises (but for cancellation). A run of
        `max_attempts` failures in a row counts as one final failure."""
        try:
            await self.job(self.clock())
        except Exception as error:
            self.failures += 1
            self.last_error = error_name(error)
            self.counts.add("failed_attempt", self.name)
            if self.failures == self.policy.max_attempts:
                self.counts.add("failed", self.name)
            level = logging.ERROR if self.failures >= self.policy.max_attempts else logging.WARNING
            log.log(
                level,
                "%s failed (%s in a row): error=%s",
                self.name,
                self.failures,
                self.last_error,
            )
            return False
        self.failures, self.last_error = 0, None
        self.counts.add("done", self.name)
        return True

    async def run(self) -> None:
        while True:
            ok = await self.run_once()
            wait = self.every if ok else min(self.policy.backoff(self.failures), self.every)
            await asyncio.sleep(wait.total_seconds())


@dataclass
class Supervisor:
    """Runs named forever-tasks and restarts any that dies, logging why."""

    first_pause: float = 0.5
    max_pause: float = 30.0
    restarts: dict[str, int] = field(default_factory=dict)
    counts: WorkCounts = field(default_factory=WorkCounts)
    _jobs: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    _stopping: bool = False

    def start(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job()` as task `name` until `stop()`; a new coroutine on every restart."""
        self._jobs[name] = job
        self.restarts.setdefault(name, 0)
        self._spawn(name)

    @property
    def tasks(self) -> Mapping[str, asyncio.Task[None]]:
        """Each name's current task, live (a task that died shows as done until restarted)."""
        return self._tasks

    def task(self, name: str) -> asyncio.Task[None] | None:
        """The task currently running `name` (for operators' views and tests)."""
        return self._tasks.get(name)

    def _spawn(self, name: str) -> None:
        self._timers.pop(name, None)
        if self._stopping:
            return
        task = asyncio.create_task(_run(self._jobs[name]), name=name)
        self._tasks[name] = task
        task.add_done_callback(lambda done: self._ended(name, done))

    def _ended(self, name: str, task: asyncio.Task[None]) -> None:
        if self._stopping:
            return
        if task.cancelled():
            log.error("background task %s was cancelled; restarting", name)
        elif (error := task.exception()) is not None:
            log.error("background task %s died: error=%s; restarting", name, error_name(error))
        else:
            log.error("background task %s returned; restarting", name)
        self.restarts[name] += 1
        self.counts.add("restart", name)
        pause = min(self.first_pause * 2 ** (self.restarts[name] - 1), self.max_pause)
        self._timers[name] = asyncio.get_running_loop().call_later(pause, self._spawn, name)

    async def stop(self, within: float) -> None:
        """Cancel every task and wait for them, at most `within` seconds."""
        self._stopping = True
        for timer in self._timers.values():
            timer.cancel()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            _, alive = await asyncio.wait(tasks, timeout=within)
            for task in alive:
                log.error("background task %s did not stop within %s s", task.get_name(), within)


async def _run(job: Callable[[], Awaitable[None]]) -> None:
    await job()
