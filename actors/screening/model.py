"""The trained screener: TF-IDF over word and character n-grams, with logistic regression.

Three kinds of classifier share one feature space:

* *attention*: does the post need a clinician at all (urgent or concern)?
* *urgent*: does it need one now?
* one per category, to say which categories matched.

Character n-grams (within word boundaries, 2–5 long) are what make misspellings, text-speak
and emoji work ("sucidal", "ctb", "unalive"); word uni- and bigrams carry the context that
tells "this exam will kill me" from "I want to die". The level thresholds are not 0.5: they
are set on five-fold cross-validated predictions over the training split, as the highest
thresholds that still reach the recall the clinical-safety case asks for (a missed crisis
costs far more than a moderator reading one more post), so the held-out split stays unseen.

`train` is deterministic: fixed folds, fixed solver, no random state left open; the same data
gives the same artifact. `load_model` refuses an artifact made from other data or by another
scikit-learn version, with the command that rebuilds it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion

from actors.screening import (
    CATEGORIES,
    CONCERN_CATEGORIES,
    URGENT_CATEGORIES,
    Level,
    Screening,
)
from actors.screening.dataset import Example

ARTIFACT_VERSION = 1
DEFAULT_PATH = Path(__file__).with_name("model.joblib")
ATTENTION_RECALL = 0.95
URGENT_RECALL = 0.98
FOLDS = 5
REBUILD = "run `sharon screen train` to build it"

_TOKENS = r"(?u)\b\w+\b|[^\w\s]"  # words, and each emoji or mark on its own
_REPEATS = re.compile(r"(.)\1{2,}")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


class ModelUnavailable(RuntimeError):
    """The model artifact is missing, unreadable or stale; the message says how to rebuild it."""


def normalised(text: str) -> str:
    """Lower case, NFKC, plain quotes, and runs of 3+ of one character cut to 2 ("sooooo")."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return _REPEATS.sub(r"\1\1", text)


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=normalised,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    token_pattern=_TOKENS,
                ),
            ),
            (
                "characters",
                TfidfVectorizer(
                    preprocessor=normalised,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
        ]
    )


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=8.0, class_weight="balanced", solver="liblinear", max_iter=1000)


def _highest_threshold(scores: np.ndarray, positive: np.ndarray, recall: float) -> float:
    """The highest score cut that keeps at least `recall` of the positives at or above it."""
    ranked = np.sort(scores[positive])
    if ranked.size == 0:
        return 0.5
    allowed_misses = int(np.floor((1 - recall) * ranked.size))
    return float(ranked[allowed_misses])


def _cross_validated(features: Any, labels: np.ndarray, strata: np.ndarray) -> np.ndarray:
    scores = np.zeros(len(labels))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for train_rows, test_rows in folds.split(np.zeros(len(labels)), strata):
        model = _classifier().fit(features[train_rows], labels[train_rows])
        scores[test_rows] = model.predict_proba(features[test_rows])[:, 1]
    return scores


@dataclass
class TrainedScreener:
    """A `Screener` over a trained artifact.

    Every classifier is linear over the same features, so their weights are kept as one
    matrix (a column per classifier: attention, urgent, then each category) and one sparse
    product scores a post for all of them at once.
    """

    features: FeatureUnion
    columns: tuple[str, ...]
    weights: np.ndarray
    intercepts: np.ndarray
    attention_threshold: float
    urgent_threshold: float

    def screen(self, text: str) -> Screening:
        return self.screen_many([text])[0]

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        logits = self.features.transform(list(texts)) @ self.weights + self.intercepts
        probabilities = 1.0 / (1.0 + np.exp(-np.asarray(logits)))
        results = []
        for row in probabilities:
            scores = dict(zip(self.columns, (float(p) for p in row), strict=True))
            level: Level = "none"
            if scores["urgent"] >= self.urgent_threshold:
                level = "urgent"
            elif scores["attention"] >= self.attention_threshold:
                level = "concern"
            results.append(
                Screening(level, _categories(level, scores), round(scores["attention"], 4))
            )
        return results


def _categories(level: Level, scores: dict[str, float]) -> tuple[str, ...]:
    if level == "none":
        return ()
    chosen = [name for name in CATEGORIES if scores.get(name, 0.0) >= 0.5]
    if level == "urgent" and not any(name in URGENT_CATEGORIES for name in chosen):
        chosen.append(max(URGENT_CATEGORIES, key=lambda name: scores.get(name, 0.0)))
    if not chosen:
        chosen.append(max(CONCERN_CATEGORIES, key=lambda name: scores.get(name, 0.0)))
    return tuple(name for name in CATEGORIES if name in chosen)


def train(examples: Sequence[Example], data_digest: str) -> dict[str, Any]:
    """Fit every classifier on `examples` (the training split) and set the level thresholds
    from cross-validated scores; returns the artifact that `save` writes."""
    texts = [example.text for example in examples]
    features = _features()
    x = features.fit_transform(texts)
    attention = np.array([example.level != "none" for example in examples])
    urgent = np.array([example.level == "urgent" for example in examples])
    strata = np.array([{"none": 0, "concern": 1, "urgent": 2}[e.level] for e in examples])
    attention_scores = _cross_validated(x, attention, strata)
    urgent_scores = _cross_validated(x, urgent, strata)
    models = {
        "attention": _classifier().fit(x, attention),
        "urgent": _classifier().fit(x, urgent),
    }
    for name in CATEGORIES:
        labels = np.array([name in example.categories for example in examples])
        if labels.any():
            models[name] = _classifier().fit(x, labels)
    return {
        "version": ARTIFACT_VERSION,
        "sklearn": sklearn.__version__,
        "data_digest": data_digest,
        "screener": TrainedScreener(
            features=features,
            columns=tuple(models),
            weights=np.column_stack([m.coef_[0] for m in models.values()]),
            intercepts=np.array([m.intercept_[0] for m in models.values()]),
            attention_threshold=_highest_threshold(attention_scores, attention, ATTENTION_RECALL),
            urgent_threshold=_highest_threshold(urgent_scores, urgent, URGENT_RECALL),
        ),
    }


def save(artifact: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    joblib.dump(artifact, partial)
    partial.replace(path)


def load_model(path: Path = DEFAULT_PATH, data_digest: str | None = None) -> TrainedScreener:
    """Load the artifact once (at start); `data_digest`, when given, must match its data."""
    try:
        artifact = joblib.load(path)
    except FileNotFoundError:
        raise ModelUnavailable(f"no screening model at {path}; {REBUILD}") from None
    except Exception as error:  # a damaged pickle can raise almost anything
        raise ModelUnavailable(
            f"screening model {path} is unreadable ({type(error).__name__}); {REBUILD}"
        ) from None
    if not isinstance(artifact, dict) or artifact.get("version") != ARTIFACT_VERSION:
        raise ModelUnavailable(f"screening model {path} is of another version; {REBUILD}")
    if artifact.get("sklearn") != sklearn.__version__:
        raise ModelUnavailable(
            f"screening model {path} was built with scikit-learn {artifact.get('sklearn')}, "
            f"this is {sklearn.__version__}; {REBUILD}"
        )
    if data_digest is not None and artifact.get("data_digest") != data_digest:
        raise ModelUnavailable(f"screening model {path} was built from other data; {REBUILD}")
    screener = artifact["screener"]
    assert isinstance(screener, TrainedScreener)
    return screener
