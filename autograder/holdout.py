"""Held-out evaluation: a hidden test set the student never sees, scored outside the kernel.

    spec = HoldoutSpec(features=Path("ocultos/x.csv"), labels=Path("ocultos/y.csv"),
                       metric="roc_auc", thresholds=((0.84, 4), (0.80, 3), (0.75, 2)))
    result = autograde(source, submission, ..., holdout=spec)

The grading container gets the *features* read-only in ``avaliacao/`` of the kernel's working
directory; the notebook's hidden test writes ``previsoes_avaliacao.csv`` (``id,previsao``).
The labels stay in the grader's private input directory: the runner reads the predictions
with the student's uid and computes the metric itself (``container/holdout_metrics.py``), so
neither a monkeypatched ``sklearn.metrics`` nor a symlink can fake the score. The points come
from the thresholds: the best band reached, nothing below the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.container.holdout_metrics import HIGHER_IS_BETTER, HoldoutScore
from autograder.errors import InputUnavailable
from autograder.messages import number
from autograder.results import CellResult

DEFAULT_KEY = "avaliacao_oculta"
DEFAULT_PREDICTIONS = "previsoes_avaliacao.csv"
METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "accuracy": "acurácia",
    "f1": "F1",
    "rmse": "RMSE",
    "mae": "MAE",
}
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class HoldoutSpecError(ValueError):
    """The held-out set is declared wrongly; ``str()`` says how, in pt-BR."""


@dataclass(frozen=True)
class HoldoutSpec:
    features: Path
    labels: Path
    thresholds: tuple[tuple[float, float], ...]  # (metric bound, points), best band first
    metric: str = "roc_auc"
    predictions: str = DEFAULT_PREDICTIONS  # file name the notebook writes
    id_column: str = "customerID"
    key: str = DEFAULT_KEY  # the grade id of the synthetic cell

    def __post_init__(self) -> None:
        if self.metric not in HIGHER_IS_BETTER:
            known = ", ".join(sorted(HIGHER_IS_BETTER))
            raise HoldoutSpecError(f"métrica desconhecida {self.metric!r} (conhecidas: {known})")
        if not _PLAIN_NAME.match(self.predictions):
            raise HoldoutSpecError(f"nome de arquivo de previsões inválido: {self.predictions!r}")
        if not self.thresholds:
            raise HoldoutSpecError("informe ao menos uma faixa de pontos")
        bounds = [bound for bound, _points in self.thresholds]
        points = [pts for _bound, pts in self.thresholds]
        ordered = sorted(bounds, reverse=self.higher_is_better)
        if bounds != ordered or len(set(bounds)) != len(bounds):
            direction = "decrescente" if self.higher_is_better else "crescente"
            raise HoldoutSpecError(f"as faixas devem vir em ordem {direction} de {self.metric}")
        if any(p < 0 for p in points) or points != sorted(points, reverse=True):
            raise HoldoutSpecError("os pontos das faixas devem ser positivos e decrescentes")

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.metric]

    @property
    def max_points(self) -> float:
        return float(self.thresholds[0][1])

    @property
    def metric_name(self) -> str:
        return METRIC_NAMES[self.metric]

    def band_for(self, value: float | None) -> tuple[float, float] | None:
        """The best (bound, points) band ``value`` reaches, or None."""
        if value is None:
            return None
        for bound, points in self.thresholds:
            if (value >= bound) if self.higher_is_better else (value <= bound):
                return bound, float(points)
        return None

    def points_for(self, value: float | None) -> float:
        band = self.band_for(value)
        return band[1] if band else 0.0

    def check_files(self) -> None:
        """InputUnavailable when a file of the set is not there (storage: retry)."""
        for path in (self.features, self.labels):
            if not Path(path).is_file():
                raise InputUnavailable(f"arquivo do conjunto oculto não encontrado: {path}")


def parse_thresholds(text: str) -> tuple[tuple[float, float], ...]:
    """``"0.84:4,0.80:3"`` -> ((0.84, 4.0), (0.8, 3.0)) (the CLI's notation)."""
    bands = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        bound, sep, points = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            bands.append((float(bound), float(points)))
        except ValueError as exc:
            raise HoldoutSpecError(f"faixa inválida {part!r}: use valor:pontos") from exc
    return tuple(bands)


def parse_score(raw: Any) -> HoldoutScore | None:
    """The runner's ``holdout`` entry, checked for shape (None when absent or malformed)."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("value")
    try:
        return HoldoutScore(
            metric=str(raw["metric"]),
            value=None if value is None else float(value),
            expected=int(raw["expected"]),
            matched=int(raw["matched"]),
            problem=str(raw.get("problem", ""))[:300],
        )
    except (KeyError, TypeError, ValueError):
        return None


def _decimal(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")


def cell_result(spec: HoldoutSpec, score: HoldoutScore | None) -> CellResult:
    """The held-out criterion as one more graded cell, with its pt-BR justification."""
    if score is None or score.value is None:
        why = score.problem if score is not None else "as previsões não foram avaliadas"
        message = (
            f"Conjunto de avaliação oculto: sem nota ({why}). "
            f"A célula de previsões precisa rodar até o fim."
        )
        return CellResult(
            grade_id=spec.key,
            points=0.0,
            max_points=spec.max_points,
            manual=False,
            passed=False,
            message=message,
            message_id="holdout.missing",
        )
    reached = spec.band_for(score.value)
    points = reached[1] if reached else 0.0
    relation = "≥" if spec.higher_is_better else "≤"
    of_max = f"{number(points)} de {number(spec.max_points)} pontos"
    band = (
        f"a faixa {relation} {_decimal(reached[0])} vale {of_max}"
        if reached
        else f"abaixo da última faixa ({relation} {_decimal(spec.thresholds[-1][0])}): {of_max}"
    )
    message = (
        f"{spec.metric_name} de {_decimal(score.value)} no conjunto de avaliação oculto "
        f"({score.expected} linhas); {band}."
    )
    return CellResult(
        grade_id=spec.key,
        points=points,
        max_points=spec.max_points,
        manual=False,
        passed=points >= spec.max_points,
        message=message,
        message_id="holdout.scored",
    )
