"""The screening data set: the project's own labelled posts, and its fixed held-out split.

The posts are JSON lines in `data/posts-<voice>.jsonl` (LABELS.md says how they were written
and labelled). A post belongs to the held-out split when the SHA-256 of its id falls in the
lowest fifth: fixed by the id alone, so adding posts never moves an old one between splits and
training never sees a held-out post.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from actors.screening import CATEGORIES, Level, level_of

DATA_DIR = Path(__file__).with_name("data")
HELD_OUT_FIFTH = 0.2


class BadExample(ValueError):
    """A data line that is not a well-formed labelled post; the message names the line."""


@dataclass(frozen=True)
class Example:
    id: str
    voice: str
    subnet: str
    text: str
    level: Level
    categories: tuple[str, ...]
    kind: str

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(self.id.encode()).digest()
        return int.from_bytes(digest[:4], "big") < HELD_OUT_FIFTH * 2**32


def parse_example(line: str, where: str) -> Example:
    try:
        row = json.loads(line)
        categories = tuple(row["categories"])
        example = Example(
            id=str(row["id"]),
            voice=str(row["voice"]),
            subnet=str(row["subnet"]),
            text=str(row["text"]),
            level=row["level"],
            categories=categories,
            kind=str(row["kind"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise BadExample(f"{where}: {error}") from None
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise BadExample(f"{where}: unknown categories {sorted(unknown)}")
    if example.level != level_of(categories):
        raise BadExample(f"{where}: level {example.level!r} does not follow from the categories")
    return example


def read_examples(paths: Iterable[Path]) -> Iterator[Example]:
    for path in sorted(paths):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield parse_example(line, f"{path.name} line {number}")


def load(data_dir: Path = DATA_DIR) -> list[Example]:
    """Every labelled post in `data_dir`, in a fixed order (file name, then line)."""
    examples = list(read_examples(data_dir.glob("posts-*.jsonl")))
    seen: set[str] = set()
    for example in examples:
        if example.id in seen:
            raise BadExample(f"duplicate id {example.id}")
        seen.add(example.id)
    return examples


def data_digest(data_dir: Path = DATA_DIR) -> str:
    """SHA-256 over the data files, recorded in the model so a stale artifact is noticed."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.glob("posts-*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
