"""The trained screener: built deterministically from the project's data, refused when stale,
and usable by a trust on its own samples through `sharon screen`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from actors.screening import dataset, model
from actors.screening.default import load_screener
from actors.screening.rules import RuleScreener
from node import screening

DATA = dataset.DATA_DIR


def small_sample(directory: Path) -> Path:
    """A copy of 30% of the project's data (every voice), so a test trains in a second or two."""
    directory.mkdir()
    for path in sorted(DATA.glob("posts-*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        (directory / path.name).write_text("\n".join(lines[::3]) + "\n", encoding="utf-8")
    return directory


def test_the_same_data_always_builds_the_same_model(tmp_path: Path) -> None:
    data = small_sample(tmp_path / "data")
    screening.train(data, tmp_path / "one.joblib")
    screening.train(data, tmp_path / "two.joblib")
    one = model.load_model(tmp_path / "one.joblib", dataset.data_digest(data))
    two = model.load_model(tmp_path / "two.joblib", dataset.data_digest(data))
    assert one.columns == two.columns
    assert np.array_equal(one.weights, two.weights)
    assert (one.attention_threshold, one.urgent_threshold) == (
        two.attention_threshold,
        two.urgent_threshold,
    )
    texts = [example.text for example in dataset.load(data)]
    assert one.screen_many(texts) == two.screen_many(texts)


def test_training_never_sees_the_held_out_fifth(tmp_path: Path) -> None:
    examples = dataset.load(DATA)
    held_out = {example.id for example in examples if example.held_out}
    trained, held = screening.train(small_sample(tmp_path / "data"), tmp_path / "m.joblib")
    sample = dataset.load(tmp_path / "data")
    assert held == sum(example.id in held_out for example in sample)
    assert trained == len(sample) - held
    assert 0.15 < len(held_out) / len(examples) < 0.25


def test_a_missing_or_stale_model_is_refused_with_the_command_that_rebuilds_it(
    tmp_path: Path,
) -> None:
    with pytest.raises(model.ModelUnavailable, match="sharon screen train"):
        model.load_model(tmp_path / "absent.joblib")
    data = small_sample(tmp_path / "data")
    screening.train(data, tmp_path / "m.joblib")
    with pytest.raises(model.ModelUnavailable, match="other data"):
        model.load_model(tmp_path / "m.joblib", "another digest")
    (tmp_path / "m.joblib").write_bytes(b"not a model")
    with pytest.raises(model.ModelUnavailable, match="unreadable"):
        model.load_model(tmp_path / "m.joblib")


def test_sharon_screen_answers_each_line_and_reports_bad_ones_by_number() -> None:
    lines = "\n".join(
        [
            json.dumps({"id": 1, "text": "had a lovely walk with the baby today"}),
            "{not json",
            json.dumps({"id": "x", "text": "i cant do this anymore, im going to end it tonight"}),
            json.dumps({"id": 3}),
        ]
    )
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", "screen"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [answer["id"] for answer in answers] == [1, "x"]
    assert set(answers[0]) == {"id", "level", "categories", "score"}
    assert answers[0]["level"] == "none"
    assert answers[1]["level"] == "urgent" and "suicidal_intent" in answers[1]["categories"]
    errors = done.stderr.splitlines()
    assert errors[0].startswith("sharon: line 2:") and errors[1].startswith("sharon: line 4:")


def test_the_data_set_is_labelled_consistently_in_several_voices_with_many_hard_negatives() -> None:
    examples = dataset.load(DATA)
    assert len(examples) >= 1500
    assert len({example.voice for example in examples}) >= 3
    hard = sum(example.kind == "hard_negative" for example in examples)
    assert hard / len(examples) >= 0.40
    assert {example.subnet for example in examples} == {
        "eating_disorders",
        "perinatal",
        "carers",
        "camhs",
        "first_step",
        "veterans",
    }


def test_the_nodes_screener_hears_what_rules_alone_miss_and_leaves_metaphor_alone() -> None:
    screener = load_screener()
    rules = RuleScreener()
    for understated in [
        "wont be around after the weekend. thanks for everything all of you",
        "gave my guitar and my games to my little brother today, he wont need to wait for them",
    ]:
        assert rules.screen(understated).level == "none"
        assert screener.screen(understated).level == "urgent", understated
    assert screener.screen("down to 6st 10 now, still not enough").categories == ("ed_numbers",)
    for everyday in [
        "this exam is actually going to kill me 💀",
        "I could murder a brew after that shift",
        "2 years ago I self harmed every day, today I'm 700 days clean",
        "baby was 7lb 2oz at the weigh in today!",
        "Not sleeping much this week",  # a low day is not a crisis (issue 10, precision)
        "not sleeping much this week, work is mad",
        "Slept badly again, feeling rough today",
        "Bought a weighted blanket. 7kg. Best sleep in a month.",
        "Is it normal for a 6 month old to weigh 7.8kg?",
    ]:
        assert screener.screen(everyday).level == "none", everyday
    assert screener.screen("not sleeping and i wish i could disappear").level == "concern"
