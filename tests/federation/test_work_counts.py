"""The engine's tallies: each settled attempt counted once, and nothing lost when writing them
down fails (they are given back and written next time)."""

from __future__ import annotations

from federation.work_counts import WorkCounts


def test_each_attempt_is_counted_by_how_it_ended() -> None:
    counts = WorkCounts()
    for state in ("done", "done", "pending", "pending", "failed", "rejected"):
        counts.settled("delivery", state)
    counts.add("restart", "delivery")
    assert counts.take() == {
        ("done", "delivery"): 2,
        ("failed_attempt", "delivery"): 3,  # two retried, and the last of the final failure
        ("failed", "delivery"): 1,
        ("rejected", "delivery"): 1,
        ("restart", "delivery"): 1,
    }
    assert counts.take() == {}


def test_counts_given_back_after_a_failed_write_are_written_with_the_next() -> None:
    counts = WorkCounts()
    counts.settled("processing", "done")
    taken = counts.take()
    counts.settled("processing", "done")
    counts.give_back(taken)
    assert counts.take() == {("done", "processing"): 2}
