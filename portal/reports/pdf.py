"""The feedback reports as PDF files (reportlab platypus), and the course's zip of them.

Text is set in DejaVu Sans, the TrueType font matplotlib ships (so no extra dependency): the
PDF standard fonts only know Latin-1, and justifications carry arrows, curly quotes and
other characters students' names and the grader's messages may hold. The font is embedded,
so the PDF reads the same everywhere and its text can be extracted.

Every piece of text goes through :func:`_p`, which escapes it: names, justifications and
comments are user content and reportlab's paragraphs otherwise read them as markup.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from portal.core.formats import moment as when
from portal.core.formats import number as points
from portal.core.formats import percent
from portal.reports import charts
from portal.reports.selectors import (
    IMPROVE_PERCENT,
    STRENGTH_PERCENT,
    AssignmentLine,
    AssignmentSummary,
    CourseReport,
    Highlight,
    StudentReport,
)

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = colors.HexColor("#1a1f29")
MUTED = colors.HexColor("#5b6676")
BORDER = colors.HexColor("#c9d0da")
HEADER_BG = colors.HexColor("#f3f5f8")
WARN = colors.HexColor("#7a4d00")
MARGIN = 1.8 * cm


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, spaceAfter=4
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=23, spaceAfter=6
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=11, leading=15, textColor=MUTED, spaceAfter=10
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=13,
            leading=17,
            spaceBefore=12,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "cell_head": ParagraphStyle(
            "cell_head", parent=body, fontName=FONT_BOLD, fontSize=8, leading=10.5, spaceAfter=0
        ),
        "num": ParagraphStyle(
            "num", parent=body, fontSize=8.5, leading=11, spaceAfter=0, alignment=TA_RIGHT
        ),
        "note": ParagraphStyle("note", parent=body, textColor=MUTED, fontSize=8.5, leading=11),
        "warn": ParagraphStyle("warn", parent=body, textColor=WARN, fontName=FONT_BOLD),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain (escaped) text; line breaks are kept."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


# -- page furniture --------------------------------------------------------------------------------


def _canvas_class(footer: str) -> type[pdf_canvas.Canvas]:
    """A canvas that writes "Página N de M" on every page, once M is known (at save)."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 8)
                self.setFillColor(MUTED)
                self.drawString(MARGIN, 1.0 * cm, footer[:110])
                self.drawRightString(
                    A4[0] - MARGIN,
                    1.0 * cm,
                    _("Página %(n)d de %(total)d") % {"n": self._pageNumber, "total": total},
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def _build(story: list[Flowable], *, title: str, footer: str) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=2 * cm,
        title=title,
        author=_("Portal MLE"),
        lang="pt-BR",
        invariant=True,
    )
    doc.build(story, canvasmaker=_canvas_class(footer))
    return out.getvalue()


def _table(rows: list[list[Flowable]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, BORDER),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, BORDER),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _chart(png: bytes, width: float) -> Image:
    """The PNG at the page's width, keeping its proportions (size read from the header)."""
    px_w = int.from_bytes(png[16:20], "big")
    px_h = int.from_bytes(png[20:24], "big")
    return Image(io.BytesIO(png), width=width, height=width * px_h / px_w)


# -- one student -------------------------------------------------------------------------------


def grade_text(line: AssignmentLine) -> str:
    grade = line.grade
    if grade is None or grade.total is None:
        return "—"
    return _("%(total)s de %(max)s (%(percent)s)") % {
        "total": points(grade.total),
        "max": points(grade.max_total),
        "percent": percent(grade.percent),
    }


def _assignment(line: AssignmentLine, s: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    story: list[Flowable] = [_p(line.title, s["h2"])]
    facts = [_("Situação: %(s)s") % {"s": line.status_label}]
    if line.attempt:
        facts.append(
            _("Tentativa %(n)d, enviada em %(when)s")
            % {"n": line.attempt, "when": when(line.submitted_at)}
        )
    story.append(_p(" · ".join(facts), s["body"]))
    if line.grade is not None:
        story.append(_p(_("Nota: %(grade)s") % {"grade": grade_text(line)}, s["body"]))
        if line.grade.penalty_line:
            story.append(_p(line.grade.penalty_line, s["body"]))
        if not line.released:
            story.append(_p(_("Nota não liberada ao aluno."), s["warn"]))
    if line.criteria:
        rows = [
            [
                _p(_("Critério"), s["cell_head"]),
                _p(_("Pontos"), s["cell_head"]),
                _p(_("Justificativa"), s["cell_head"]),
            ]
        ]
        for c in line.criteria:
            rows.append(
                [
                    _p(c.title, s["cell"]),
                    _p(f"{points(c.points)} / {points(c.max_points)}", s["num"]),
                    _p(c.justification or "—", s["cell"]),
                ]
            )
        story.append(_table(rows, [0.28 * width, 0.14 * width, 0.58 * width]))
    if line.comments:
        story.append(_p(_("Comentários do instrutor"), s["h3"]))
        for c in line.comments:
            story.append(
                _p(
                    _(
                        "%(criterion)s (tentativa %(attempt)d): %(before)s → %(after)s. "
                        "%(reason)s — %(by)s, %(when)s (%(source)s)"
                    )
                    % {
                        "criterion": c.criterion,
                        "attempt": c.attempt,
                        "before": points(c.points_before),
                        "after": points(c.points_after),
                        "reason": c.reason,
                        "by": c.by,
                        "when": when(c.at),
                        "source": c.source,
                    },
                    s["body"],
                )
            )
    if line.regrades:
        story.append(_p(_("Pedidos de revisão"), s["h3"]))
        for r in line.regrades:
            text = _("%(criterion)s, pedido em %(when)s: “%(reason)s” — %(status)s.") % {
                "criterion": r.criterion,
                "when": when(r.created_at),
                "reason": r.reason,
                "status": r.status_label,
            }
            if r.response:
                text += " " + _("Resposta de %(by)s em %(when)s: %(response)s") % {
                    "by": r.responded_by or "—",
                    "when": when(r.responded_at),
                    "response": r.response,
                }
            story.append(_p(text, s["body"]))
    return story


def _highlights(
    items: list[Highlight], empty: str, s: dict[str, ParagraphStyle], width: float, *, why: bool
) -> Flowable:
    if not items:
        return _p(empty, s["note"])
    head = [
        _p(_("Entrega"), s["cell_head"]),
        _p(_("Critério"), s["cell_head"]),
        _p(_("Pontos"), s["cell_head"]),
    ]
    widths = [0.3 * width, 0.52 * width, 0.18 * width]
    if why:
        head.append(_p(_("Justificativa"), s["cell_head"]))
        widths = [0.2 * width, 0.22 * width, 0.12 * width, 0.46 * width]
    rows = [head]
    for item in items:
        row = [
            _p(item.assignment, s["cell"]),
            _p(item.criterion, s["cell"]),
            _p(f"{points(item.points)} / {points(item.max_points)}", s["num"]),
        ]
        if why:
            row.append(_p(item.justification or "—", s["cell"]))
        rows.append(row)
    return _table(rows, widths)


def student_pdf(report: StudentReport) -> bytes:
    s = _styles()
    width = A4[0] - 2 * MARGIN
    story: list[Flowable] = [
        _p(_("Relatório de desempenho"), s["title"]),
        _p(f"{report.name} · {report.course.title}", s["subtitle"]),
        _p(_("Identificação"), s["h2"]),
    ]
    ident = [
        (_("Nome"), report.name),
        (_("E-mail"), report.email),
        (_("Usuário"), report.username),
        (_("Identificador"), str(report.student_id)),
        (_("Curso"), report.course.title),
        (_("Gerado em"), when(report.generated_at)),
    ]
    table = Table(
        [[_p(k, s["cell_head"]), _p(v, s["cell"])] for k, v in ident],
        colWidths=[0.25 * width, 0.75 * width],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [("LINEBELOW", (0, 0), (-1, -1), 0.3, BORDER), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story.append(table)

    story.append(_p(_("Resumo das entregas"), s["h2"]))
    rows = [
        [_p(h, s["cell_head"]) for h in (_("Entrega"), _("Situação"), _("Nota"), _("Liberada"))]
    ]
    for line in report.assignments:
        rows.append(
            [
                _p(line.title, s["cell"]),
                _p(line.status_label, s["cell"]),
                _p(grade_text(line), s["cell"]),
                _p(_("sim") if line.released else _("não liberada ao aluno"), s["cell"]),
            ]
        )
    story.append(_table(rows, [0.36 * width, 0.24 * width, 0.2 * width, 0.2 * width]))

    for line in report.assignments:
        story += _assignment(line, s, width)

    story += [_p(_("Frequência"), s["h2"]), _p(report.attendance, s["body"])]
    story += [
        _p(_("Pontos fortes"), s["h2"]),
        _p(_("Critérios com %(n)s%% ou mais dos pontos.") % {"n": STRENGTH_PERCENT}, s["note"]),
        _highlights(
            report.strengths,
            _("Nenhum critério com %(n)s%% ou mais dos pontos ainda.") % {"n": STRENGTH_PERCENT},
            s,
            width,
            why=False,
        ),
        _p(_("Pontos a melhorar"), s["h2"]),
        _p(
            _("Critérios com menos de %(n)s%% dos pontos, com a justificativa da nota.")
            % {"n": IMPROVE_PERCENT},
            s["note"],
        ),
        _highlights(
            report.improvements,
            _("Nenhum critério abaixo de %(n)s%% dos pontos.") % {"n": IMPROVE_PERCENT},
            s,
            width,
            why=True,
        ),
    ]
    story += _final_project(report, s)
    return _build(
        story,
        title=_("Relatório de desempenho — %(name)s") % {"name": report.name},
        footer=f"{report.course.title} · {report.name}",
    )


def _final_project(report: StudentReport, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    final = report.final_project
    if final is None:
        return []
    story: list[Flowable] = [_p(_("Projeto final"), s["h2"])]
    for line in final.lines:
        story.append(_p(f"{line.title}: {grade_text(line)} · {line.status_label}", s["body"]))
    story.append(_p(final.outcome, s["body"]))
    if final.selection_score is not None:
        story.append(
            _p(
                _("Pontuação de seleção: %(total)s (projeto + bônus dos notebooks %(bonus)s).")
                % {"total": points(final.selection_score), "bonus": points(final.notebook_bonus)},
                s["body"],
            )
        )
    if final.presented_at:
        story.append(
            _p(_("Apresentado em %(when)s.") % {"when": when(final.presented_at)}, s["body"])
        )
    if final.presentation_notes:
        story.append(_p(final.presentation_notes, s["body"]))
    return story


# -- the course ----------------------------------------------------------------------------------


def _summary_table(
    summaries: list[AssignmentSummary], s: dict[str, ParagraphStyle], width: float
) -> Table:
    heads = (
        _("Entrega"),
        _("Alunos"),
        _("Entregaram"),
        _("Corrigidas"),
        _("Aguardando revisão"),
        _("Atrasadas"),
        _("Média"),
        _("Mediana"),
    )
    rows = [[_p(h, s["cell_head"]) for h in heads]]
    for summary in summaries:
        title = (
            summary.title
            if summary.released
            else (f"{summary.title} ({_('não liberada ao aluno')})")
        )
        rows.append(
            [_p(title, s["cell"])]
            + [
                _p(str(v), s["num"])
                for v in (
                    summary.students,
                    summary.submitted,
                    summary.graded,
                    summary.needs_review,
                    summary.late,
                )
            ]
            + [
                _p(percent(summary.mean_percent), s["num"]),
                _p(percent(summary.median_percent), s["num"]),
            ]
        )
    # Widths (of 17.4 cm) that fit each header word whole at 8 pt bold.
    shares = [3.9, 1.5, 2.2, 2.0, 2.3, 1.95, 1.7, 1.85]
    return _table(rows, [width * share / sum(shares) for share in shares])


def course_summary_pdf(report: CourseReport) -> bytes:
    s = _styles()
    width = A4[0] - 2 * MARGIN
    summaries = report.summaries
    story: list[Flowable] = [
        _p(_("Resumo da turma"), s["title"]),
        _p(
            _("%(course)s · gerado em %(when)s")
            % {"course": report.course.title, "when": when(report.generated_at)},
            s["subtitle"],
        ),
    ]
    if not summaries:
        story.append(_p(_("Este curso ainda não tem entregas."), s["body"]))
    else:
        story += [
            _summary_table(summaries, s, width),
            Spacer(1, 8),
            _chart(charts.counts_png(summaries), width),
            _chart(charts.score_distribution_png(charts.distribution_series(summaries)), width),
            _p(_("Médias por critério"), s["h2"]),
        ]
        for summary in summaries:
            rows = [
                [
                    _p(h, s["cell_head"])
                    for h in (_("Critério"), _("Máximo"), _("Média"), _("Percentual"))
                ]
            ]
            for c in summary.criteria:
                rows.append(
                    [
                        _p(c.title, s["cell"]),
                        _p(points(c.max_points), s["num"]),
                        _p(points(c.average_points), s["num"]),
                        _p(percent(c.average_percent), s["num"]),
                    ]
                )
            story.append(
                KeepTogether(
                    [
                        _chart(
                            charts.criterion_averages_png(
                                summary.title, charts.criterion_bars(summary)
                            ),
                            width,
                        ),
                        _table(rows, [0.55 * width, 0.15 * width, 0.15 * width, 0.15 * width]),
                        Spacer(1, 10),
                    ]
                )
            )
    story.append(_p(report.attendance, s["note"]))
    return _build(
        story,
        title=_("Resumo da turma — %(course)s") % {"course": report.course.title},
        footer=report.course.title,
    )
