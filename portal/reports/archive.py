"""The course's reports as one zip: every student's PDF, the course summary, an index.

The index is CSV (through ``portal.core.csv``) with one line per student and file, and each
assignment's grade, so the zip can be filed or mail-merged without opening every PDF.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import IO

from portal.core.csv import csv_text
from portal.reports.pdf import course_summary_pdf, student_pdf
from portal.reports.selectors import CourseReport

SUMMARY_NAME = "resumo-da-turma.pdf"
INDEX_NAME = "index.csv"


def write_course_zip(
    report: CourseReport, out: IO[bytes], *, progress: Callable[[int], None] | None = None
) -> None:
    """Every student's PDF under ``alunos/``, the course summary and an index, into ``out``
    (a file object: the view passes a spooled temporary file, so a large course goes to disk
    instead of memory). ``progress(n)`` is told after each student's PDF how many are in."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, student in enumerate(report.students, start=1):
            archive.writestr(f"alunos/{student.slug}.pdf", student_pdf(student))
            if progress is not None:
                progress(done)
        archive.writestr(SUMMARY_NAME, course_summary_pdf(report))
        columns = index_columns(report)
        rows = [[row[name] for name in columns] for row in index_rows(report)]
        archive.writestr(INDEX_NAME, csv_text(columns, rows).encode())


def index_rows(report: CourseReport) -> list[dict[str, str]]:
    """The zip's index.csv: one line per student and file, with each assignment's grade."""
    rows = []
    for student in report.students:
        row = {
            "arquivo": f"alunos/{student.slug}.pdf",
            "id": str(student.student_id),
            "nome": student.name,
            "email": student.email,
        }
        for line in student.assignments:
            total = line.grade.total if line.grade else None
            row[line.assignment.slug] = "" if total is None else f"{total.normalize():f}"
        final = student.final_project
        row["finalista"] = str(final.position) if final and final.position else ""
        row["vencedor"] = "sim" if final and final.is_winner else ""
        rows.append(row)
    for missing in report.without_account:
        row = {"arquivo": "", "id": "", "nome": missing.name, "email": missing.email}
        row.update({summary.assignment.slug: "" for summary in report.summaries})
        row.update({"finalista": "", "vencedor": ""})
        rows.append(row)
    return rows


def index_columns(report: CourseReport) -> list[str]:
    return (
        ["arquivo", "id", "nome", "email"]
        + [summary.assignment.slug for summary in report.summaries]
        + ["finalista", "vencedor"]
    )
