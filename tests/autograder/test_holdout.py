"""The held-out set: metrics computed outside the kernel, thresholds to points, and, in a real
container, data files the kernel can read but not change and labels it can never reach."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.container import holdout_metrics as hm
from autograder.container.hidden_tests import notebook_text
from autograder.holdout import HoldoutSpec, HoldoutSpecError, cell_result, parse_thresholds
from autograder.notebooks import autograde, prepare_source
from autograder.results import GradeStatus, Limits
from tests.autograder import notebooks as nb

LABELS = "customerID,Churn\na,1\nb,0\nc,1\nd,0\n"


def _spec(tmp_path: Path, **changes) -> HoldoutSpec:
    features = tmp_path / "x.csv"
    labels = tmp_path / "y.csv"
    features.write_text("customerID,f\na,1\n")
    labels.write_text(LABELS)
    values = {
        "features": features,
        "labels": labels,
        "thresholds": ((0.9, 4.0), (0.75, 2.0), (0.6, 1.0)),
    }
    return HoldoutSpec(**{**values, **changes})


# -- metrics ------------------------------------------------------------------------------------


def test_roc_auc_counts_ties_as_half() -> None:
    assert hm.roc_auc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert hm.roc_auc([1, 0, 1, 0], [0.1, 0.9, 0.2, 0.8]) == 0.0
    assert hm.roc_auc([1, 0], [0.5, 0.5]) == 0.5
    # 3 positives x 2 negatives = 6 pairs; wins: (0.8>0.3, 0.8>0.7, 0.6>0.3, 0.3=0.3 half)
    assert hm.roc_auc([1, 1, 1, 0, 0], [0.8, 0.6, 0.3, 0.3, 0.7]) == pytest.approx(3.5 / 6)
    assert hm.roc_auc([1, 1], [0.2, 0.3]) is None


def test_threshold_metrics_and_errors() -> None:
    labels, scores = [1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]
    assert hm.accuracy(labels, scores) == 0.5
    assert hm.f1(labels, scores) == pytest.approx(0.5)
    assert hm.rmse([1.0, 3.0], [2.0, 1.0]) == pytest.approx((2.5) ** 0.5)
    assert hm.mae([1.0, 3.0], [2.0, 1.0]) == 1.5


@pytest.mark.parametrize(
    ("predictions", "problem"),
    [
        ("id,previsao\na,1\n", "precisa das colunas customerID e previsao"),
        (
            "customerID,previsao\na,alto\n",
            "linha 2 do arquivo de previsões: previsao não é um número",
        ),
        ("customerID,previsao\na,nan\n", "não é finita"),
        ("customerID,previsao\na,1\na,0\n", "a aparece duas vezes"),
        ("customerID,previsao\na,1\nb,0\n", "faltam previsões para 2 de 4 linhas"),
        ("", "precisa das colunas"),
    ],
)
def test_bad_predictions_give_a_reason_and_no_value(predictions: str, problem: str) -> None:
    score = hm.score("roc_auc", LABELS, predictions, id_column="customerID")
    assert score.value is None
    assert problem in score.problem
    assert score.expected == 4


def test_good_predictions_are_matched_by_id_in_any_order() -> None:
    predictions = "previsao,customerID,extra\n0.2,d,x\n0.9,a,x\n0.1,b,x\n0.8,c,x\nzzz\n"
    score = hm.score("roc_auc", LABELS, predictions.replace("zzz\n", ""), id_column="customerID")
    assert (score.value, score.matched, score.problem) == (1.0, 4, "")


def test_unusable_labels_are_our_fault_not_the_students() -> None:
    with pytest.raises(hm.LabelsError):
        hm.score("roc_auc", "customerID\na\n", "customerID,previsao\na,1\n", id_column="customerID")
    with pytest.raises(hm.LabelsError):
        hm.score("median", LABELS, "", id_column="customerID")


# -- the spec and its points --------------------------------------------------------------------


def test_points_come_from_the_best_band_reached(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    assert [spec.points_for(v) for v in (0.95, 0.9, 0.8, 0.6, 0.59, None)] == [4, 4, 2, 1, 0, 0]
    lower = _spec(tmp_path, metric="rmse", thresholds=((1.0, 3.0), (2.0, 1.0)))
    assert [lower.points_for(v) for v in (0.5, 1.5, 2.5)] == [3, 1, 0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "median"}, "métrica desconhecida"),
        ({"thresholds": ()}, "ao menos uma faixa"),
        ({"thresholds": ((0.7, 1.0), (0.9, 4.0))}, "ordem decrescente"),
        ({"thresholds": ((0.9, 1.0), (0.7, 4.0))}, "decrescentes"),
        ({"predictions": "../labels.csv"}, "nome de arquivo de previsões inválido"),
        ({"metric": "rmse", "thresholds": ((2.0, 4.0), (1.0, 1.0))}, "ordem crescente"),
    ],
)
def test_a_wrong_spec_is_refused_with_its_reason(
    tmp_path: Path, changes: dict, message: str
) -> None:
    with pytest.raises(HoldoutSpecError, match=message):
        _spec(tmp_path, **changes)


def test_the_cli_notation_for_bands() -> None:
    assert parse_thresholds("0.84:4, 0.80:3") == ((0.84, 4.0), (0.8, 3.0))
    with pytest.raises(HoldoutSpecError, match="use valor:pontos"):
        parse_thresholds("0.84")


def test_the_justification_names_metric_value_band_and_points(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    scored = cell_result(spec, hm.HoldoutScore("roc_auc", 0.8123, 1400, 1400))
    assert (scored.points, scored.max_points, scored.passed) == (2.0, 4.0, False)
    assert scored.message == (
        "ROC AUC de 0,812 no conjunto de avaliação oculto (1400 linhas); "
        "a faixa ≥ 0,75 vale 2 de 4 pontos."
    )
    low = cell_result(spec, hm.HoldoutScore("roc_auc", 0.5, 1400, 1400))
    assert "abaixo da última faixa (≥ 0,6): 0 de 4 pontos" in low.message
    missing = cell_result(
        spec,
        hm.HoldoutScore("roc_auc", None, 1400, 0, "o notebook não gravou previsoes_avaliacao.csv"),
    )
    assert missing.points == 0 and "não gravou previsoes_avaliacao.csv" in missing.message


# -- in the grading container -------------------------------------------------------------------

PREDICT = """
import csv, os
linhas = list(csv.DictReader(open("avaliacao/clientes.csv")))
with open("previsoes_avaliacao.csv", "w") as saida:
    saida.write("customerID,previsao\\n")
    for linha in linhas:
        saida.write(f"{linha['customerID']},{linha['sinal']}\\n")
"""
ATTACKS = """
import os
tentativas = {}
for caminho in ("/tmp/grader/in/holdout_labels.csv", "/tmp/grader/in"):
    try:
        os.listdir(caminho) if caminho.endswith("in") else open(caminho).read()
        tentativas[caminho] = "lido"
    except OSError as erro:
        tentativas[caminho] = type(erro).__name__
for caminho in ("dados/tabela.csv", "dados/novo.csv"):
    try:
        open(caminho, "a").write("x")
        tentativas[caminho] = "escrito"
    except OSError as erro:
        tentativas[caminho] = type(erro).__name__
print("TENTATIVAS", tentativas)
assert open("dados/tabela.csv").read().startswith("coluna")
os.symlink("/tmp/grader/in/holdout_labels.csv", "previsoes_avaliacao.csv")
"""


def _holdout_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    features, labels = tmp_path / "clientes.csv", tmp_path / "rotulos.csv"
    data = tmp_path / "tabela.csv"
    rows = [(f"c{i:03d}", i % 2, (i % 2) * 0.6 + (i % 7) / 20) for i in range(200)]
    with open(features, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [("customerID", "sinal"), *((cid, score) for cid, _label, score in rows)]
        )
    with open(labels, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [("customerID", "Churn"), *((cid, label) for cid, label, _score in rows)]
        )
    data.write_text("coluna\n1\n")
    return features, labels, data


def _with_cell(release: nb.Notebook, code: str) -> nb.Notebook:
    solved = nb.correct(release)
    solved.cells.insert(2, nb._code(code))
    return solved


@pytest.mark.docker
def test_the_holdout_is_scored_outside_the_kernel_which_cannot_reach_the_labels(
    grader_image: str, tmp_path: Path
) -> None:
    features, labels, data = _holdout_files(tmp_path)
    spec = HoldoutSpec(
        features=features,
        labels=labels,
        id_column="customerID",
        thresholds=((0.95, 4.0), (0.8, 2.0)),
    )
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    cache = tmp_path / "cache"
    limits = Limits(wall_seconds=120, cell_timeout_seconds=30)
    prepared = prepare_source(source, image=grader_image, cache_dir=cache, limits=limits)
    release = nb.read(prepared.release_path)

    honest = nb.write(_with_cell(release, PREDICT), tmp_path / "honesto.ipynb")
    result = autograde(
        source,
        honest,
        limits=limits,
        image=grader_image,
        cache_dir=cache,
        data_files=[data],
        holdout=spec,
    )
    assert result.status is GradeStatus.GRADED, result.message
    held = result.cells[-1]
    expected = hm.roc_auc(
        [i % 2 for i in range(200)], [(i % 2) * 0.6 + (i % 7) / 20 for i in range(200)]
    )
    assert result.holdout["value"] == pytest.approx(expected, abs=1e-6)
    assert held.grade_id == "avaliacao_oculta" and held.points == spec.points_for(expected)
    assert result.max_total == nb.MAX_TOTAL + 4
    assert result.total == nb.AUTO_POINTS + held.points

    hostile = nb.write(_with_cell(release, ATTACKS), tmp_path / "hostil.ipynb")
    result = autograde(
        source,
        hostile,
        limits=limits,
        image=grader_image,
        cache_dir=cache,
        data_files=[data],
        holdout=spec,
    )
    assert result.status is GradeStatus.GRADED, result.message
    assert result.holdout["value"] is None  # the symlink to the labels reads as nothing
    assert result.cells[-1].points == 0
    assert "não gravou previsoes_avaliacao.csv" in result.cells[-1].message
    printed = notebook_text(result.feedback_notebook or {})
    for path in (
        "/tmp/grader/in/holdout_labels.csv",
        "/tmp/grader/in",
        "dados/tabela.csv",
        "dados/novo.csv",
    ):
        assert f"{path}': 'PermissionError" in printed, path
