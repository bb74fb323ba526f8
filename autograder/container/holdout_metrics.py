"""Score a notebook's predictions on the held-out set, outside the student's kernel.

Standard library only: it runs as the grader's root inside the container (and is imported
by the host's tests). The kernel writes ``customerID,previsao`` rows; the labels
(``customerID,<label>``) are read from the grader's private input directory, which the
kernel cannot reach. Every problem with the predictions is a pt-BR sentence for the student
and a ``None`` value (no points), never an exception.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass

HIGHER_IS_BETTER = {"roc_auc": True, "accuracy": True, "f1": True, "rmse": False, "mae": False}
MAX_ROWS = 200_000


@dataclass(frozen=True)
class HoldoutScore:
    metric: str
    value: float | None  # None: the predictions could not be scored
    expected: int  # rows in the held-out labels
    matched: int  # predictions found for those rows
    problem: str = ""  # pt-BR, why there is no value

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class LabelsError(ValueError):
    """The instructor's labels file is unusable: an infrastructure fault, not a grade."""


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    rows = []
    for row in reader:
        if row:
            rows.append(row)
        if len(rows) > MAX_ROWS:
            break
    return [name.strip().lstrip("\ufeff") for name in header], rows


def read_labels(text: str) -> dict[str, float]:
    header, rows = _rows(text)
    if len(header) != 2 or not rows:
        raise LabelsError("rótulos: esperado um CSV com duas colunas (id, rótulo)")
    labels = {}
    for row in rows:
        try:
            labels[row[0]] = float(row[1])
        except (IndexError, ValueError) as exc:
            raise LabelsError(f"rótulos: linha inválida {row[:2]!r}") from exc
    return labels


def read_predictions(text: str, id_column: str) -> tuple[dict[str, float], str]:
    """(id -> prediction, problem). The file needs the id column and ``previsao``."""
    header, rows = _rows(text)
    if id_column not in header or "previsao" not in header:
        found = ", ".join(header[:5]) or "nenhuma"
        return {}, (
            f"o arquivo de previsões precisa das colunas {id_column} e previsao "
            f"(encontradas: {found})"
        )
    if len(rows) > MAX_ROWS:
        return {}, f"o arquivo de previsões tem mais de {MAX_ROWS} linhas"
    id_at, value_at = header.index(id_column), header.index("previsao")
    predictions: dict[str, float] = {}
    for number, row in enumerate(rows, start=2):
        try:
            value = float(row[value_at])
        except (IndexError, ValueError):
            return {}, f"linha {number} do arquivo de previsões: previsao não é um número"
        if not math.isfinite(value):
            return {}, f"linha {number} do arquivo de previsões: previsao não é finita"
        key = row[id_at] if id_at < len(row) else ""
        if key in predictions:
            return {}, f"linha {number} do arquivo de previsões: {key} aparece duas vezes"
        predictions[key] = value
    return predictions, ""


def roc_auc(labels: list[float], scores: list[float]) -> float | None:
    """Mann-Whitney U over average ranks (ties count half); None with only one class."""
    positives = sum(1 for label in labels if label == 1)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = average
        start = end + 1
    positive_ranks = sum(rank for rank, label in zip(ranks, labels, strict=True) if label == 1)
    return (positive_ranks - positives * (positives + 1) / 2) / (positives * negatives)


def _classes(scores: list[float]) -> list[int]:
    return [1 if score >= 0.5 else 0 for score in scores]


def accuracy(labels: list[float], scores: list[float]) -> float:
    hits = sum(1 for label, guess in zip(labels, _classes(scores), strict=True) if label == guess)
    return hits / len(labels)


def f1(labels: list[float], scores: list[float]) -> float:
    pairs = list(zip(labels, _classes(scores), strict=True))
    tp = sum(1 for label, guess in pairs if label == 1 and guess == 1)
    fp = sum(1 for label, guess in pairs if label != 1 and guess == 1)
    fn = sum(1 for label, guess in pairs if label == 1 and guess != 1)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def rmse(labels: list[float], scores: list[float]) -> float:
    pairs = zip(labels, scores, strict=True)
    return math.sqrt(sum((a - b) ** 2 for a, b in pairs) / len(labels))


def mae(labels: list[float], scores: list[float]) -> float:
    return sum(abs(a - b) for a, b in zip(labels, scores, strict=True)) / len(labels)


METRICS = {"roc_auc": roc_auc, "accuracy": accuracy, "f1": f1, "rmse": rmse, "mae": mae}


def score(
    metric: str,
    labels_text: str,
    predictions_text: str | None,
    *,
    id_column: str,
    missing_problem: str = "",
) -> HoldoutScore:
    """The metric of the predictions against the labels. Raises LabelsError only."""
    if metric not in METRICS:
        raise LabelsError(f"métrica desconhecida: {metric}")
    labels = read_labels(labels_text)
    if predictions_text is None:
        return HoldoutScore(metric, None, len(labels), 0, missing_problem)
    predictions, problem = read_predictions(predictions_text, id_column)
    matched = [key for key in labels if key in predictions]
    if problem:
        return HoldoutScore(metric, None, len(labels), len(matched), problem)
    if len(matched) < len(labels):
        missing = len(labels) - len(matched)
        return HoldoutScore(
            metric,
            None,
            len(labels),
            len(matched),
            f"faltam previsões para {missing} de {len(labels)} linhas",
        )
    value = METRICS[metric]([labels[key] for key in matched], [predictions[key] for key in matched])
    if value is None:
        return HoldoutScore(
            metric,
            None,
            len(labels),
            len(matched),
            "os rótulos têm uma só classe; a métrica não se aplica",
        )
    return HoldoutScore(metric, round(value, 6), len(labels), len(matched))
