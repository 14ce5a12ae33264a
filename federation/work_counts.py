"""What the queue engine has done, tallied in memory until the node writes it down.

The engine (federation/workers.py) adds one to a `(kind, name)` pair as things happen: per queue
or periodic job an item `done`, `rejected` or `failed` (for good), and every `failed_attempt`
(an attempt that did not succeed, the last one of a final failure included); per supervised
task each `restart`. The workers may run in another process than the one answering `/metrics`,
so the node takes the tallies (`take`) and adds them to a table every process can read
(node/metrics.py); a write that fails gives them back (`give_back`), so none are lost or counted
twice. Names are queue, job and task names: never a person, a peer or an activity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["done", "rejected", "failed", "failed_attempt", "restart"]
Tally = Mapping[tuple[str, str], int]
FINAL: Mapping[str, Kind] = {"done": "done", "rejected": "rejected", "failed": "failed"}


@dataclass
class WorkCounts:
    """Counts since the last `take`, keyed by `(kind, name)`; one per node process."""

    _counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, kind: Kind, name: str, n: int = 1) -> None:
        self._counts[(kind, name)] += n

    def settled(self, name: str, state: str) -> None:
        """One attempt at an item of queue `name` ended in `state` (a QueueRow state)."""
        if state in ("pending", "failed"):
            self.add("failed_attempt", name)
        final = FINAL.get(state)
        if final is not None:
            self.add(final, name)

    def take(self) -> dict[tuple[str, str], int]:
        """Everything counted since the last take; the tallies start again from nothing."""
        taken, self._counts = dict(self._counts), Counter()
        return taken

    def give_back(self, taken: Tally) -> None:
        """Put back what a failed write took, so it is written next time."""
        self._counts.update(taken)
