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
        ("done", "delivery", ""): 2,
        ("failed_attempt", "delivery", ""): 3,  # two retried, and the last of the final failure
        ("failed", "delivery", ""): 1,
        ("rejected", "delivery", ""): 1,
        ("restart", "delivery", ""): 1,
    }
    assert counts.take() == {}


def test_outbound_requests_are_counted_per_peer_apart_from_the_queues() -> None:
    counts = WorkCounts()
    counts.settled("delivery", "done")
    counts.requested("delivery", "b.example", "2xx")
    counts.requested("delivery", "b.example", "2xx")
    counts.requested("delivery", "c.example:8443", "error")
    counts.requested("fetch", "b.example", "2xx")
    assert counts.take() == {
        ("done", "delivery", ""): 1,
        ("delivery", "2xx", "b.example"): 2,
        ("delivery", "error", "c.example:8443"): 1,
        ("fetch", "2xx", "b.example"): 1,
    }


def test_counts_given_back_after_a_failed_write_are_written_with_the_next() -> None:
    counts = WorkCounts()
    counts.settled("processing", "done")
    counts.requested("delivery", "b.example", "5xx")
    taken = counts.take()
    counts.settled("processing", "done")
    counts.give_back(taken)
    assert counts.take() == {("done", "processing", ""): 2, ("delivery", "5xx", "b.example"): 1}
