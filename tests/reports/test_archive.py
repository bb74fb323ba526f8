"""The course zip's index.csv: names and e-mails come from people, so a cell a spreadsheet
would run as a formula is written as text, as in every CSV the portal hands out."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from portal.core.csv import BOM
from portal.courses.models import Enrollment
from tests.factories import AssignmentFactory, EnrollmentFactory, UserFactory
from tests.reports.zips import built_zip

pytestmark = pytest.mark.django_db

HOSTILE = {
    "=": '=HYPERLINK("http://x","y")',
    "+": "+55 11 9999",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}


def zip_index(client, course) -> list[dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(built_zip(client, course)))
    text = archive.read("index.csv").decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))


def test_a_student_named_like_a_formula_is_written_as_text_in_the_zips_index(client, carla, course):
    AssignmentFactory(course=course, slug="semana-1")  # the index lists an assignment's rows
    for kind, name in HOSTILE.items():
        user = UserFactory(username=f"aluno-{kind}", full_name=name)
        EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    EnrollmentFactory(
        course=course,
        user=None,
        email="=1+1@example.edu",
        full_name='=HYPERLINK("http://x","nunca")',
        role=Enrollment.Role.STUDENT,
    )
    client.force_login(carla)

    index = zip_index(client, course)

    names = sorted(row["nome"] for row in index)
    assert names == sorted(
        ["'" + name for name in HOSTILE.values()] + ['\'=HYPERLINK("http://x","nunca")']
    )
    assert "'=1+1@example.edu" in {row["email"] for row in index}
    for row in index:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
