"""The trained answer model: a sentence ranker and an answerability classifier, both linear.

`python -m evaluation.train_answer_ranker` fits them (scikit-learn logistic regression, chosen
over gradient boosting by cross-validation, see `evaluation/README.md`) and writes their weights
to `pipelines/resources/answer_model.json` (a few kilobytes, the training data's attribution in
`answer_model.ATTRIBUTION.md` beside it). At run time they are a dot product: numpy only, no
training, no scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelUnavailableError
from pipelines.answers.features import QUESTION_FEATURES, SENTENCE_FEATURES

DEFAULT_ANSWER_MODEL = Path(__file__).resolve().parents[1] / "resources" / "answer_model.json"


@dataclass(frozen=True)
class LinearModel:
    """Standardised features times weights plus intercept: a logistic regression's logit."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float

    def logits(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """The logit of every row (features in `self.features` order)."""
        if not rows:
            return []
        matrix = (np.asarray(rows, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(
            self.scale
        )
        return [float(v) for v in matrix @ np.asarray(self.weights) + self.intercept]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], expected: Sequence[str]) -> LinearModel:
        """Read the JSON form; its features must be the ones this code computes."""
        if tuple(data["features"]) != tuple(expected):
            raise ValueError("the model's features differ from the code's; retrain it")
        return cls(
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            weights=tuple(float(v) for v in data["weights"]),
            intercept=float(data["intercept"]),
        )


def sigmoid(logit: float) -> float:
    """The probability of a logit."""
    return float(1.0 / (1.0 + np.exp(-logit)))


@dataclass(frozen=True)
class AnswerModel:
    """The sentence ranker, the answerability classifier and its calibrated threshold.

    Attributes:
        ranker: Scores a candidate sentence (logit of "answers the question").
        answerability: Scores a question (logit of "the passages answer it").
        threshold: The confidence below which the answer abstains (chosen on held-out folds).
    """

    ranker: LinearModel
    answerability: LinearModel
    threshold: float

    def to_json(self) -> str:
        """The file's text."""
        return json.dumps(
            {
                "ranker": self.ranker.to_dict(),
                "answerability": self.answerability.to_dict(),
                "threshold": self.threshold,
            },
            indent=1,
        )


def load_answer_model(path: Path = DEFAULT_ANSWER_MODEL) -> AnswerModel:
    """Read the committed model file.

    Raises:
        ModelUnavailableError: the file is missing, unreadable or does not fit this code.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AnswerModel(
            ranker=LinearModel.from_dict(data["ranker"], SENTENCE_FEATURES),
            answerability=LinearModel.from_dict(data["answerability"], QUESTION_FEATURES),
            threshold=float(data["threshold"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelUnavailableError(f"answer model {path.name} cannot be used: {exc}") from exc
