"""The graded notebook, rendered by the portal in Portuguese (server-side, inert).

``GradingRun.feedback_notebook`` is the notebook nbgrader graded (JSON): the student wrote
its sources and her code wrote its outputs, so nothing in it is trusted. Each part goes
through one door:

- Markdown cells: the portal's sanitiser (``portal/core/markdown.py``).
- Code: escaped and coloured by Pygments (classes only, no inline styles).
- Text outputs (streams, errors, ``text/plain``): terminal escapes stripped, then escaped.
- ``text/html``: nh3 with an allow-list of tables and text formatting; no script, style,
  iframe, form, meta or base; links only to http(s)/mailto, with ``rel=nofollow``; images
  only as ``data:`` URIs.
- Images (PNG, JPEG, GIF) as ``data:`` URIs; SVG only as an ``<img>`` of a ``data:`` URI,
  where a browser runs none of its scripts.
- JavaScript, widgets and every other kind: a sentence says an interactive output was left
  out.

Each grade cell (nbgrader ``grade: true``) gets a badge: its result (``GradingRun.
cell_results``), its points, and, when an instructor changed the criterion it counts for
(``CriterionScore.source``), the points in effect and the instructor's justification. Which
copy a viewer gets, and whether the grade is released to her, is decided by the caller.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from autograder.container.hidden_tests import plain
from portal.core.formats import number
from portal.core.markdown import render_markdown, render_plain
from portal.grading.models import CriterionScore, GradingRun

MAX_TEXT_CHARS = 100_000  # per output or source: a runaway print stays readable
MAX_HTML_CHARS = 500_000
MAX_IMAGE_CHARS = 4 * 1024 * 1024  # base64

_IMAGES = ("image/png", "image/jpeg", "image/gif")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_DATA_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif);base64,[A-Za-z0-9+/]*={0,2}$")
_LINK_SCHEMES = ("http://", "https://", "mailto:")

_HTML_TAGS = {
    *("a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd"),
    *("del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img"),
    *("kbd", "li", "ol", "p", "pre", "s", "samp", "small", "span", "strong", "sub", "sup"),
    *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"),
}
_HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
}
_FORMATTER = HtmlFormatter(nowrap=True)
_LEXER = PythonLexer()


_BADGE_CSS = {
    "passed": "ok",
    "failed": "danger",
    "error": "danger",
    "pending": "warning",
    "graded": "info",
}


@dataclass(frozen=True)
class Badge:
    state: str  # passed, failed, error, pending, graded (by the instructor)
    label: str
    points: str  # "2 de 3", pt-BR numbers; "— de 3" while an instructor has not graded it
    adjusted: bool  # an instructor changed the criterion's score
    justification: SafeString  # the instructor's, when adjusted
    criterion: str  # the rubric criterion the cell counts for

    @property
    def css(self) -> str:
        return _BADGE_CSS[self.state]


@dataclass(frozen=True)
class Cell:
    kind: str  # markdown, code, raw
    source: SafeString
    prompt: str = ""  # "In [3]" of a code cell
    outputs: list[SafeString] = field(default_factory=list)
    badge: Badge | None = None
    grade_id: str = ""


@dataclass(frozen=True)
class GradedNotebook:
    cells: list[Cell]
    staff: bool  # the instructors' copy: hidden tests included


def graded_notebook(
    run: GradingRun, scores: Iterable[CriterionScore], *, manager: bool
) -> GradedNotebook | None:
    """The graded notebook of ``run`` for this viewer: instructors get their copy when there
    is one; None for runs without one (projects, runs graded before: ``feedback_html``)."""
    notebook, staff = feedback_copy(run, manager=manager)
    if notebook is None:
        return None
    return GradedNotebook(notebook_cells(notebook, results=run.cell_results, scores=scores), staff)


def feedback_copy(run: GradingRun, *, manager: bool) -> tuple[Any, bool]:
    """The graded notebook (nbformat JSON) of ``run`` this viewer gets, and whether it is the
    instructors' copy (hidden tests included): theirs when there is one, else the students'.
    None for runs without one."""
    staff = manager and run.staff_feedback_notebook is not None
    return (run.staff_feedback_notebook if staff else run.feedback_notebook), staff


def notebook_cells(
    notebook: Any, *, results: Iterable[Any] = (), scores: Iterable[CriterionScore] = ()
) -> list[Cell]:
    """The cells of ``notebook`` ready for ``grading/_notebook.html``; whatever is malformed
    is skipped or shown as text, never an exception."""
    raw_cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(raw_cells, list):
        return []
    by_grade_id = {
        r["grade_id"]: r
        for r in results
        if isinstance(r, dict) and isinstance(r.get("grade_id"), str)
    }
    criteria = {gid: score for score in scores for gid in score.criterion.grade_ids or []}
    badged: set[str] = set()
    cells = []
    for raw in raw_cells:
        if not isinstance(raw, dict):
            continue
        cell = _cell(raw)
        gid = _grade_id(raw)
        if gid and gid not in badged and gid in by_grade_id:
            badged.add(gid)  # a copied grade cell's metadata gets no second badge
            badge = _badge(by_grade_id[gid], criteria.get(gid), error=_error_name(raw))
            cell = Cell(cell.kind, cell.source, cell.prompt, cell.outputs, badge, gid)
        cells.append(cell)
    return cells


# -- sources ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""


def _capped(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return text[:limit] + "\n" + _("[… %(n)s caracteres omitidos]") % {"n": number(cut)}


def _cell(raw: dict[str, Any]) -> Cell:
    source = _capped(_text(raw.get("source")))
    kind = raw.get("cell_type")
    if kind == "markdown":
        return Cell("markdown", mark_safe(render_markdown(source).html))  # noqa: S308 - nh3
    if kind != "code":
        return Cell("raw", _pre(source, "nb-raw"))
    count = raw.get("execution_count")
    prompt = _("In [%(n)s]") % {"n": count if isinstance(count, int) else " "}
    code = highlight(source, _LEXER, _FORMATTER) if source else ""
    outputs = raw.get("outputs")
    return Cell(
        "code",
        mark_safe(f'<pre class="nb-code"><code>{code}</code></pre>'),  # noqa: S308 - Pygments escapes
        prompt,
        [_output(output) for output in (outputs if isinstance(outputs, list) else [])],
    )


def _pre(text: str, css: str) -> SafeString:
    return mark_safe(f'<pre class="{css}">{escape(text)}</pre>')  # noqa: S308 - escaped


# -- outputs ---------------------------------------------------------------------------------


def _omitted() -> SafeString:
    return mark_safe(f'<p class="nb-omitted">{escape(_("Saída interativa omitida."))}</p>')  # noqa: S308


def _output(output: Any) -> SafeString:
    if not isinstance(output, dict):
        return _omitted()
    kind = output.get("output_type")
    if kind == "stream":
        stderr = " nb-stream--stderr" if output.get("name") == "stderr" else ""
        return _pre(_capped(plain(_text(output.get("text")))), f"nb-stream{stderr}")
    if kind == "error":
        lines = output.get("traceback")
        text = "\n".join(map(str, lines)) if isinstance(lines, list) and lines else ""
        text = text or f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return _pre(_capped(plain(text)), "nb-error")
    data = output.get("data")
    if kind in ("execute_result", "display_data") and isinstance(data, dict):
        return _rich(data)
    return _omitted()


def _rich(data: dict[str, Any]) -> SafeString:
    """The richest representation the portal shows inertly; the rest is left out."""
    if "text/html" in data:
        markup = _text(data["text/html"])
        if len(markup) <= MAX_HTML_CHARS:
            return mark_safe(f'<div class="nb-html">{_clean_html(markup)}</div>')  # noqa: S308
    for mimetype in _IMAGES:
        encoded = re.sub(r"\s", "", _text(data.get(mimetype)))
        if encoded and len(encoded) <= MAX_IMAGE_CHARS and _BASE64.match(encoded):
            return _image(mimetype, encoded)
    if "image/svg+xml" in data:
        svg = _text(data["image/svg+xml"]).encode("utf-8")
        if 0 < len(svg) <= MAX_IMAGE_CHARS:
            return _image("image/svg+xml", base64.b64encode(svg).decode("ascii"))
    if "text/markdown" in data:
        return mark_safe(render_markdown(_capped(_text(data["text/markdown"]))).html)  # noqa: S308
    if "text/plain" in data:
        return _pre(_capped(plain(_text(data["text/plain"]))), "nb-text")
    return _omitted()


def _image(mimetype: str, encoded: str) -> SafeString:
    try:
        base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return _omitted()
    alt = escape(_("Imagem gerada pela célula"))
    return mark_safe(  # noqa: S308 - base64 alphabet only
        f'<img class="nb-image" src="data:{mimetype};base64,{encoded}" alt="{alt}">'
    )


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    if tag == "img" and attribute == "src":
        return value if _DATA_IMAGE.match(value.strip()) else None
    return value


def _clean_html(markup: str) -> str:
    cleaned: str = nh3.clean(
        markup,
        tags=_HTML_TAGS,
        attributes=_HTML_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer nofollow",
    )
    return cleaned


# -- grade cells -----------------------------------------------------------------------------


def _grade_id(raw: dict[str, Any]) -> str:
    metadata = raw.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    if not isinstance(meta, dict) or meta.get("grade") is not True:
        return ""
    gid = meta.get("grade_id")
    return gid if isinstance(gid, str) else ""


def _error_name(raw: dict[str, Any]) -> str:
    outputs = raw.get("outputs")
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get("output_type") == "error":
            return str(output.get("ename", ""))
    return ""


def _points(points: Any, max_points: Any) -> str:
    if points is None:
        return ""
    return _("%(points)s de %(max)s") % {"points": number(points), "max": number(max_points)}


def _badge(result: dict[str, Any], score: CriterionScore | None, *, error: str) -> Badge:
    """The cell's state from the grader; points from the instructor when she changed the
    criterion and it is this cell's alone."""
    adjusted = score is not None and score.source == CriterionScore.Source.MANUAL
    own = score is not None and len(score.criterion.grade_ids or []) == 1
    points = _points(result.get("points"), result.get("max_points"))
    if own and (adjusted or score.points is None):
        points = _points(score.points, score.max_points)
    passed = result.get("passed")
    waiting = score.points is None if score is not None and own else passed is None
    if waiting and not (adjusted and score is not None and score.points is not None):
        state, label = "pending", _("aguardando correção manual")
        points = _("— de %(max)s") % {"max": number(result.get("max_points"))}
    elif result.get("manual") and adjusted:
        state, label = "graded", _("corrigida pelo instrutor")
    elif passed:
        state, label = "passed", _("passou")
    elif error and error != "AssertionError":
        state, label = "error", _("erro")
    else:
        state, label = "failed", _("falhou")
    note = render_plain(score.justification) if adjusted and score is not None else ""
    return Badge(
        state=state,
        label=label,
        points=points,
        adjusted=adjusted,
        justification=mark_safe(note),  # noqa: S308 - escaped and nh3-checked
        criterion=score.criterion.title if score is not None else "",
    )
