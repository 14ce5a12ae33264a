"""What the queue engine and the outbound requests have done, tallied in memory until the node
writes it down.

The engine (federation/workers.py) adds one to a `(kind, name)` pair as things happen: per queue
or periodic job an item `done`, `rejected` or `failed` (for good), and every `failed_attempt`
(an attempt that did not succeed, the last one of a final failure included); per supervised
task each `restart`. Outbound requests are counted per peer: each `delivery` (a POST to a
peer's inbox) and `fetch` (a GET) by its outcome (`2xx`, `4xx`, `error` …) and the peer's host.
The workers may run in another process than the one answering `/metrics`, so the node takes the
tallies (`take`) and adds them to a table every process can read (node/metrics.py); a write that
fails gives them back (`give_back`), so none are lost or counted twice. Names are queue, job and
task names or outcomes, peers are hosts of nodes: never a person, a post or an activity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["done", "rejected", "failed", "failed_attempt", "restart"]
Request = Literal["delivery", "fetch"]
FINAL: Mapping[str, Kind] = {"done": "done", "rejected": "rejected", "failed": "failed"}
Key = tuple[str, str, str]
"""`(kind, name, peer)`: `peer` is "" but for outbound requests, whose `name` is the outcome."""
Tally = Mapping[Key, int]


@dataclass
class WorkCounts:
    """Counts since the last `take`; one per node process."""

    _counts: Counter[Key] = field(default_factory=Counter)

    def add(self, kind: Kind, name: str) -> None:
        self._counts[(kind, name, "")] += 1

    def settled(self, name: str, state: str) -> None:
        """One attempt at an item of queue `name` ended in `state` (a QueueRow state)."""
        if state in ("pending", "failed"):
            self.add("failed_attempt", name)
        final = FINAL.get(state)
        if final is not None:
            self.add(final, name)

    def requested(self, kind: Request, peer: str, outcome: str) -> None:
        """One outbound request to host `peer` ended in `outcome` (a status class or `error`)."""
        self._counts[(kind, outcome, peer)] += 1

    def take(self) -> dict[Key, int]:
        """Everything counted since the last take; the tallies start again from nothing."""
        taken, self._counts = dict(self._counts), Counter()
        return taken

    def give_back(self, taken: Tally) -> None:
        """Put back what a failed write took, so it is written next time."""
        self._counts.update(taken)
