"""The graded notebook as the portal renders it (portal/grading/notebook_view.py).

The student wrote the sources and her code wrote the outputs: every hostile thing a notebook
can hold comes out as inert text or not at all, a malformed notebook never breaks the page,
and each grade cell says what the grader (or the instructor, after it) decided.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from portal.assessments.models import Criterion
from portal.core.formats import number
from portal.grading.models import CriterionScore
from portal.grading.notebook_view import Badge, notebook_cells


@pytest.fixture(autouse=True)
def _portuguese():
    with translation.override("pt-br"):
        yield


def _code(*outputs: Any, source: str = "x = 1", count: Any = 1, **metadata: Any) -> dict:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": metadata,
        "source": source,
        "outputs": list(outputs),
    }


def _grade_cell(grade_id: str, *outputs: Any) -> dict:
    nbgrader = {"grade": True, "grade_id": grade_id, "points": 2, "locked": True}
    return _code(*outputs, source=f"assert {grade_id}()", nbgrader=nbgrader)


def _html(markup: str) -> dict:
    return {"output_type": "display_data", "data": {"text/html": markup}, "metadata": {}}


def _rendered(*cells: Any, **kwargs: Any) -> str:
    """Everything the page would show of a notebook with ``cells``, as one HTML string."""
    rendered = notebook_cells({"cells": list(cells)}, **kwargs)
    return "\n".join(str(c.source) + "".join(map(str, c.outputs)) for c in rendered)


def _badge(result: dict, score: CriterionScore | None = None, *outputs: Any) -> Badge:
    [cell] = notebook_cells(
        {"cells": [_grade_cell(result["grade_id"], *outputs)]},
        results=[result],
        scores=[score] if score else [],
    )
    assert cell.badge is not None
    return cell.badge


def _score(points: Any, *, source: str = "auto", justification: str = "", ids=("t1",)):
    criterion = Criterion(key="c", title="Função t1", grade_ids=list(ids), max_points=2)
    return CriterionScore(
        criterion=criterion,
        points=None if points is None else Decimal(str(points)),
        auto_points=Decimal(0),
        max_points=Decimal(2),
        justification=justification,
        source=source,
    )


# -- hostile outputs -------------------------------------------------------------------------


def test_a_script_in_an_html_output_is_removed_and_its_table_kept() -> None:
    page = _rendered(_code(_html("<table><tr><td>1,5</td></tr></table><script>roubar()</script>")))

    assert "<table><tbody><tr><td>1,5</td></tr></tbody></table>" in page
    assert "<script" not in page and "roubar" not in page


def test_event_handlers_javascript_links_meta_refresh_base_iframes_and_forms_are_dropped() -> None:
    page = _rendered(
        _code(
            _html(
                '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">clique</a>'
                '<a href="notas.html">relativo</a><a href="https://example.org/doc">doc</a>'
                '<meta http-equiv="refresh" content="0; url=https://evil.example">'
                '<base href="https://evil.example/"><iframe src="https://evil.example"></iframe>'
                '<form action="https://evil.example"><input name="senha"></form>'
                '<style>body{display:none}</style><div style="position:fixed">x</div>'
            )
        )
    )

    for gone in ("onerror", "javascript:", "<meta", "<base", "<iframe", "<form", "<input"):
        assert gone not in page, gone
    assert "<style" not in page and "style=" not in page and "display:none" not in page
    assert "<a>clique</a>" in page.replace(' rel="noopener noreferrer nofollow"', "")
    assert 'href="notas.html"' not in page  # a relative link would point into the portal
    assert '<a href="https://example.org/doc" rel="noopener noreferrer nofollow">doc</a>' in page


def test_an_svg_with_a_script_is_only_ever_an_image() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="4"/></svg>'
    page = _rendered(_code({"output_type": "display_data", "data": {"image/svg+xml": svg}}))

    encoded = base64.b64encode(svg.encode()).decode()
    assert f'<img class="nb-image" src="data:image/svg+xml;base64,{encoded}"' in page
    assert "<svg" not in page and "<script" not in page


def test_png_images_are_data_uris_and_a_broken_one_is_left_out() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    page = _rendered(
        _code(
            {"output_type": "display_data", "data": {"image/png": png + "\n"}},
            {"output_type": "display_data", "data": {"image/png": '"><script>x()</script>'}},
        )
    )

    assert f'src="data:image/png;base64,{png}"' in page
    assert "<script" not in page
    assert page.count("Saída interativa omitida.") == 1


def test_javascript_and_widgets_are_replaced_by_a_sentence() -> None:
    page = _rendered(
        _code(
            {"output_type": "display_data", "data": {"application/javascript": "alert(1)"}},
            {
                "output_type": "display_data",
                "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc"}},
            },
        )
    )

    assert page.count('<p class="nb-omitted">Saída interativa omitida.</p>') == 2
    assert "alert" not in page and "model_id" not in page


def test_terminal_colours_are_stripped_and_text_escaped() -> None:
    page = _rendered(
        _code(
            {
                "output_type": "stream",
                "name": "stdout",
                "text": ["\x1b[31mvermelho\x1b[0m ", "<b>"],
            },
            {
                "output_type": "error",
                "ename": "ValueError",
                "evalue": "x",
                "traceback": ["\x1b[0;31mValueError\x1b[0m: <script>x</script>"],
            },
            {"output_type": "execute_result", "data": {"text/plain": "<i>42</i>"}, "metadata": {}},
        )
    )

    assert '<pre class="nb-stream">vermelho &lt;b&gt;</pre>' in page
    assert '<pre class="nb-error">ValueError: &lt;script&gt;x&lt;/script&gt;</pre>' in page
    assert '<pre class="nb-text">&lt;i&gt;42&lt;/i&gt;</pre>' in page
    assert "\x1b" not in page


def test_a_huge_output_is_cut_with_a_count_of_what_was_left_out() -> None:
    page = _rendered(_code({"output_type": "stream", "name": "stdout", "text": "a" * 250_000}))

    assert page.count("a") < 110_000
    assert f"[… {number(150_000)} caracteres omitidos]" in page


def test_code_is_highlighted_escaped_and_numbered() -> None:
    [cell] = notebook_cells({"cells": [_code(source="print('<b>')  # comentário", count=7)]})

    assert cell.prompt == "In [7]"
    assert '<span class="nb">print</span>' in cell.source
    assert "<span class=\"s1\">'&lt;b&gt;'</span>" in cell.source and "<b>" not in cell.source
    assert '<span class="c1"># comentário</span>' in cell.source


def test_markdown_cells_go_through_the_portals_sanitiser() -> None:
    [cell] = notebook_cells(
        {"cells": [{"cell_type": "markdown", "source": ["# Título\n", "<script>x()</script>"]}]}
    )

    assert cell.kind == "markdown"
    assert "Título</h1>" in cell.source and "<script" not in cell.source


@pytest.mark.parametrize(
    "notebook",
    [
        None,
        "texto",
        {"cells": "nada"},
        {"cells": [None, 3, "x", {"cell_type": "code"}, {"cell_type": "code", "outputs": "x"}]},
        {"cells": [{"cell_type": "code", "source": 5, "outputs": [None, {"output_type": 3}]}]},
        {"cells": [{"cell_type": "desconhecido", "source": ["a", "b"], "metadata": None}]},
        {"cells": [_code({"output_type": "display_data", "data": {"text/html": 7}})]},
        {"cells": [_code({"output_type": "error", "traceback": None, "ename": "E"})]},
    ],
)
def test_a_malformed_notebook_renders_what_it_can_without_an_exception(notebook: Any) -> None:
    cells = notebook_cells(notebook, results=[{"grade_id": None}, "x"], scores=[])

    assert all(c.badge is None for c in cells)


def test_missing_metadata_or_a_grade_cell_without_a_result_gets_no_badge() -> None:
    cells = notebook_cells(
        {"cells": [_code(nbgrader={"grade": True}), _grade_cell("t2"), _code()]},
        results=[{"grade_id": "t1", "points": 1, "max_points": 1, "passed": True}],
    )

    assert [c.badge for c in cells] == [None, None, None]


# -- badges ----------------------------------------------------------------------------------


def test_a_passing_test_says_passou_with_its_points_in_portuguese() -> None:
    badge = _badge({"grade_id": "t1", "points": 1.5, "max_points": 2, "passed": True})

    assert (badge.state, badge.label, badge.points, badge.adjusted) == (
        "passed",
        "passou",
        "1,5 de 2",
        False,
    )


def test_a_failed_assert_is_falhou_and_another_exception_is_erro() -> None:
    result = {"grade_id": "t1", "points": 0, "max_points": 2, "passed": False}
    failed = {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}
    crashed = {"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}

    assert _badge(result, None, failed).label == "falhou"
    assert _badge(result, None, crashed).label == "erro"
    assert _badge(result).label == "falhou"  # no exception at all: still a failure


def test_an_answer_waiting_for_the_instructor_says_so_without_points() -> None:
    result = {"grade_id": "t1", "points": 0, "max_points": 2, "manual": True, "passed": None}

    badge = _badge(result, _score(None))

    assert (badge.state, badge.label, badge.points) == (
        "pending",
        "aguardando correção manual",
        "— de 2",
    )


def test_a_score_the_instructor_changed_shows_her_points_and_justification() -> None:
    result = {"grade_id": "t1", "points": 0, "max_points": 2, "passed": False}
    score = _score(1.5, source="manual", justification="A lógica está certa; faltou `round`.")

    badge = _badge(result, score)

    assert (badge.label, badge.points, badge.adjusted) == ("falhou", "1,5 de 2", True)
    assert badge.justification == "A lógica está certa; faltou <code>round</code>."
    assert badge.criterion == "Função t1"


def test_a_criterion_of_several_cells_keeps_each_cells_own_points_when_changed() -> None:
    result = {"grade_id": "t1", "points": 1, "max_points": 1, "passed": True}

    badge = _badge(result, _score(3, source="manual", justification="ok", ids=("t1", "t2")))

    assert (badge.label, badge.points, badge.adjusted) == ("passou", "1 de 1", True)


def test_a_manual_answer_graded_by_the_instructor_says_corrigida() -> None:
    result = {"grade_id": "t1", "points": 0, "max_points": 2, "manual": True, "passed": None}

    badge = _badge(result, _score(2, source="manual", justification="Boa resposta."))

    assert (badge.state, badge.label, badge.points) == (
        "graded",
        "corrigida pelo instrutor",
        "2 de 2",
    )


def test_a_grade_id_copied_onto_a_second_cell_gets_one_badge() -> None:
    cells = notebook_cells(
        {"cells": [_grade_cell("t1"), _grade_cell("t1")]},
        results=[{"grade_id": "t1", "points": 2, "max_points": 2, "passed": True}],
    )

    assert [c.badge is not None for c in cells] == [True, False]
