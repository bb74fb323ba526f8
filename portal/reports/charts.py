"""The course summary's charts, as PNG bytes (matplotlib, Agg).

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas directly, never
through ``pyplot``: pyplot keeps global state (a current figure, a GUI backend choice) that a
web process serving several requests at once must not share. Output is deterministic for the
same data (no random jitter, no timestamp or version in the PNG metadata), so a chart can be
cached and compared in tests.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from django.utils.translation import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from portal.reports.selectors import AssignmentSummary

DPI = 100
WIDTH_IN = 8.0
# Colours of the portal (portal.css tokens) so the charts sit well in the page and the PDF.
PRIMARY = "#1f5eff"
OK = "#136c2e"
WARN = "#b7791f"
DANGER = "#b42318"
MUTED = "#5b6676"
GRID = "#e1e5eb"
# boxplot's ``vert`` became ``orientation`` in 3.10 (``vert`` warns from 3.11 on).
_MPL = tuple(int(part) for part in matplotlib.__version__.split(".")[:2])
HORIZONTAL = {"orientation": "horizontal"} if _MPL >= (3, 10) else {"vert": False}


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


def _label(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=2, placeholder="…")) or "—"


def _figure(rows: int, *, per_row: float = 0.55, minimum: float = 2.4) -> Figure:
    height = max(minimum, 1.2 + per_row * rows)
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(colors=MUTED, labelsize=9)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    # metadata Software=None: no matplotlib version in the file, same bytes on every build.
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _spread(n: int, width: float = 0.28) -> list[float]:
    """Deterministic vertical offsets for a strip plot (points side by side, no randomness)."""
    if n <= 1:
        return [0.0] * n
    return [-width / 2 + width * i / (n - 1) for i in range(n)]


def score_distribution_png(series: Sequence[Series]) -> bytes:
    """Each assignment's grades (% of max, after the late policy): a box plus every student
    as a dot, so a class of five and a class of five hundred both read well."""
    figure = _figure(len(series))
    ax = figure.add_subplot()
    _style(ax)
    positions = list(range(len(series), 0, -1))  # first assignment on top
    filled = [(pos, s) for pos, s in zip(positions, series, strict=True) if s.values]
    if filled:
        ax.boxplot(
            [list(s.values) for _pos, s in filled],
            positions=[p for p, _s in filled],
            widths=0.5,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#ebf0ff", "edgecolor": PRIMARY},
            medianprops={"color": PRIMARY, "linewidth": 2},
            **HORIZONTAL,
            whiskerprops={"color": MUTED},
            capprops={"color": MUTED},
        )
        for pos, s in filled:
            values = sorted(s.values)
            ax.scatter(
                values,
                [pos + d for d in _spread(len(values))],
                s=14,
                color=PRIMARY,
                alpha=0.55,
                linewidths=0,
                zorder=3,
            )
    for pos, s in zip(positions, series, strict=True):
        if not s.values:
            ax.text(
                50, pos, _("sem notas ainda"), ha="center", va="center", color=MUTED, fontsize=9
            )
    ax.set_yticks(positions, [_label(s.label) for s in series])
    ax.set_xlim(-2, 102)
    ax.set_ylim(0.4, len(series) + 0.6)
    ax.set_xlabel(
        _("Nota em porcentagem do máximo, depois do desconto por atraso"), color=MUTED, fontsize=9
    )
    ax.set_title(_("Distribuição das notas por entrega"), loc="left", fontsize=11)
    return _png(figure)


def criterion_averages_png(title: str, bars: Sequence[tuple[str, float | None]]) -> bytes:
    """One assignment's criteria: the class average of each, in % of its maximum."""
    figure = _figure(len(bars), per_row=0.45)
    ax = figure.add_subplot()
    _style(ax)
    positions = list(range(len(bars), 0, -1))
    values = [value or 0.0 for _title, value in bars]
    colours = [OK if v >= 80 else DANGER if v < 50 else PRIMARY for v in values]
    ax.barh(positions, values, height=0.6, color=colours)
    for pos, value in zip(positions, [value for _title, value in bars], strict=True):
        if value is None:
            ax.text(1.5, pos, _("sem notas"), va="center", fontsize=9, color=MUTED)
        elif value > 88:  # no room after the bar: write inside it
            ax.text(
                value - 1.5,
                pos,
                f"{value:.0f}%",
                va="center",
                ha="right",
                fontsize=9,
                color="white",
                fontweight="bold",
            )
        else:
            ax.text(value + 1.5, pos, f"{value:.0f}%", va="center", fontsize=9, color=MUTED)
    ax.set_yticks(positions, [_label(label, 34) for label, _value in bars])
    ax.set_xlim(0, 100)
    ax.set_ylim(0.4, max(len(bars), 1) + 0.6)
    ax.set_xlabel(
        _("Média da turma, em porcentagem dos pontos do critério"), color=MUTED, fontsize=9
    )
    ax.set_title(_label(title, 70), loc="left", fontsize=11)
    return _png(figure)


def counts_png(summaries: Sequence[AssignmentSummary]) -> bytes:
    """Per assignment: students who submitted, were graded, wait for review, were late."""
    figure = _figure(len(summaries), per_row=0.8, minimum=2.8)
    ax = figure.add_subplot()
    _style(ax)
    kinds = [
        (_("Entregaram"), "submitted", PRIMARY),
        (_("Corrigidas"), "graded", OK),
        (_("Aguardando revisão"), "needs_review", WARN),
        (_("Atrasadas"), "late", DANGER),
    ]
    height = 0.18
    base = list(range(len(summaries), 0, -1))
    for index, (label, attr, colour) in enumerate(kinds):
        offset = (1.5 - index) * height
        values = [getattr(summary, attr) for summary in summaries]
        ax.barh([b + offset for b in base], values, height=height, color=colour, label=label)
        for b, value in zip(base, values, strict=True):
            ax.text(value + 0.2, b + offset, str(value), va="center", fontsize=7, color=MUTED)
    ax.set_yticks(base, [_label(summary.title) for summary in summaries])
    most = max([summary.students for summary in summaries] + [1])
    ax.set_xlim(0, most * 1.12 + 1)
    ax.set_ylim(0.4, max(len(summaries), 1) + 0.6)
    ax.set_xlabel(_("Alunos"), color=MUTED, fontsize=9)
    figure.legend(loc="outside lower center", ncols=len(kinds), fontsize=8, frameon=False)
    ax.set_title(_("Entregas por situação"), loc="left", fontsize=11)
    return _png(figure)


def distribution_series(summaries: Sequence[AssignmentSummary]) -> list[Series]:
    return [Series(summary.title, summary.percents) for summary in summaries]


def criterion_bars(summary: AssignmentSummary) -> list[tuple[str, float | None]]:
    return [
        (c.title, None if c.average_percent is None else float(c.average_percent))
        for c in summary.criteria
    ]
