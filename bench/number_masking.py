"""How long the eating-disorder number detector (`actors/numbers.py`) takes per text.

Run from the project root: ``.venv/bin/python bench/number_masking.py``. It prints microseconds per
call at p50 and p95 for three kinds of text (no numbers, everyday numbers, a post full of
eating-disorder numbers) and asserts nothing (tests never make timed assertions).
"""

from __future__ import annotations

import statistics
import time

from actors.numbers import find

TEXTS = {
    "no numbers (130 chars)": (
        "I had a really hard day today and I do not know what to do about it, my mum says it "
        "will get better but I am not sure that it will."
    ),
    "everyday numbers (75 chars)": (
        "Appointment on 3rd May at 10:30 with my 2 kids, ring 07700 900123 if late"
    ),
    "eating-disorder numbers (190 chars)": (
        "Had a rough week. Lost 3lbs, now 52kg and my BMI of 15.8 is worrying the team. "
        "Walked 20k steps yesterday and did 90 mins on the treadmill. Size 6 jeans are loose."
    ),
}


def main(rounds: int = 5000) -> None:
    for label, text in TEXTS.items():
        for _ in range(100):
            find(text)
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            find(text)
            timings.append((time.perf_counter() - started) * 1e6)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95)]
        print(f"{label:38} p50 {statistics.median(timings):7.1f} µs   p95 {p95:7.1f} µs")


if __name__ == "__main__":
    main()
