"""`sharon screen` and `sharon screen train`: a trust checks the screening on its own samples,
and anyone rebuilds the model from the project's data.

`screen` reads JSON lines `{"id": …, "text": …}` and writes `{"id", "level", "categories",
"score"}` lines in the same order. A line that is not such an object is reported on stderr with
its line number and skipped; the exit status is then 1 (0 when every line was screened).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from actors.screening import Screener, dataset, model


def screen_lines(screener: Screener, lines: TextIO, out: TextIO, errors: TextIO) -> int:
    bad = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("text"), str):
                raise ValueError('expected an object with "id" and a string "text"')
        except ValueError as error:
            print(f"sharon: line {number}: {error}", file=errors)
            bad += 1
            continue
        result = screener.screen(row["text"])
        record = {
            "id": row["id"],
            "level": result.level,
            "categories": list(result.categories),
            "score": result.score,
        }
        print(json.dumps(record, ensure_ascii=False), file=out, flush=True)
    return 1 if bad else 0


def current(data_dir: Path, artifact: Path) -> bool:
    """Whether `artifact` was built from exactly this data by this scikit-learn."""
    try:
        model.load_model(artifact, dataset.data_digest(data_dir))
    except model.ModelUnavailable:
        return False
    return True


def train(data_dir: Path, out: Path) -> tuple[int, int]:
    """Build the model artifact from the training split; returns (trained on, held out)."""
    examples = dataset.load(data_dir)
    training = [example for example in examples if not example.held_out]
    model.save(model.train(training, dataset.data_digest(data_dir)), out)
    return len(training), len(examples) - len(training)
