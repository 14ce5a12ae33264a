"""Screening figures on the held-out split, beside the targets of issue 10.

    .venv/bin/python bench/screening.py [--model PATH] [--by-voice]

Prints recall (urgent and concern both count as positives), recall on urgent posts alone,
precision, the misses per category, and milliseconds per post (p50, p95) screening one post at a
time on one core. `--by-voice` also trains on all voices but one and tests on that one, in
turn: the figure closest to what a separately written set will show.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from actors.screening import Screener, dataset, model
from actors.screening.dataset import Example
from actors.screening.default import EdNumbers, load_screener
from actors.screening.rules import RuleScreener, combine

TARGETS = {"recall": 0.95, "urgent recall": 0.98, "precision": 0.80}


def figures(screener: Screener, examples: Sequence[Example]) -> dict[str, float]:
    found = [screener.screen(example.text) for example in examples]
    positives = [e.level != "none" for e in examples]
    flagged = [f.level != "none" for f in found]
    urgent = [e.level == "urgent" for e in examples]
    hits = sum(p and f for p, f in zip(positives, flagged, strict=True))
    return {
        "recall": hits / max(sum(positives), 1),
        "urgent recall": sum(u and f.level == "urgent" for u, f in zip(urgent, found, strict=True))
        / max(sum(urgent), 1),
        "precision": hits / max(sum(flagged), 1),
        "posts": len(examples),
    }


def misses(screener: Screener, examples: Sequence[Example]) -> Counter[str]:
    missed: Counter[str] = Counter()
    for example in examples:
        result = screener.screen(example.text)
        too_low = result.level == "none" or (example.level == "urgent" and result.level != "urgent")
        if example.level != "none" and too_low:
            missed.update(example.categories)
    return missed


def timings(screener: Screener, examples: Sequence[Example]) -> tuple[float, float]:
    spent = []
    for example in examples:
        started = time.perf_counter()
        screener.screen(example.text)
        spent.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(spent, n=100)
    return cuts[49], cuts[94]


def verdict(name: str, value: float) -> str:
    target = TARGETS[name]
    return (
        f"{name:<14} {value:6.3f}   target ≥ {target:.2f}  {'met' if value >= target else 'MISSED'}"
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--model", help="a model built by `sharon screen train --out`")
    options.add_argument("--data", default=str(dataset.DATA_DIR))
    options.add_argument("--by-voice", action="store_true")
    args = options.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    data = Path(args.data)
    examples = dataset.load(data)
    held_out = [e for e in examples if e.held_out]
    model_path = Path(args.model) if args.model else None
    parts = {
        "trained model": model.load_model(model_path or model.DEFAULT_PATH),
        "rules": RuleScreener(),
        "number detector": EdNumbers(),
    }
    for name, part in parts.items():
        alone = figures(part, held_out)
        print(f"{name:<16} alone: " + "  ".join(f"{k} {alone[k]:.3f}" for k in TARGETS))
    screener = load_screener(model_path)
    result = figures(screener, held_out)
    p50, p95 = timings(screener, held_out * 3)
    print(f"the node's screener (all three) on the held-out split: {result['posts']:.0f} posts")
    for name in TARGETS:
        print(verdict(name, result[name]))
    missed = misses(screener, held_out)
    print("misses by category:", dict(missed) or "none")
    print(
        f"ms per post        p50 {p50:.2f}   p95 {p95:.2f}   target p95 ≤ 20  "
        f"{'met' if p95 <= 20 else 'MISSED'}"
    )
    if args.by_voice:
        for voice in sorted({e.voice for e in examples}):
            train = [e for e in examples if e.voice != voice and not e.held_out]
            test = [e for e in examples if e.voice == voice]
            trained = combine(
                model.train(train, "by-voice")["screener"], RuleScreener(), EdNumbers()
            )
            by_voice = figures(trained, test)
            print(
                f"voice {voice} unseen ({by_voice['posts']:.0f} posts): "
                + "  ".join(f"{name} {by_voice[name]:.3f}" for name in TARGETS)
            )


if __name__ == "__main__":
    main()
