"""Run by ``test_sqlite.py`` in a process of its own, with the laptop's default database (a
SQLite file under PORTAL_VAR_DIR, migrated before): students upload through the real upload
view at the same instant, one thread each. Prints one JSON line: the status of each upload.

    python tests/core/sqlite_uploads.py <students>
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from portal.courses.models import Enrollment  # noqa: E402
from tests.factories import (  # noqa: E402
    AssignmentFactory,
    CourseFactory,
    EnrollmentFactory,
    UserFactory,
)
from tests.support.attempts import GRADE_IDS, release_bytes, source_bytes, upload  # noqa: E402


def main(students: int) -> None:
    course = CourseFactory(slug="mle")
    assignment = AssignmentFactory(course=course, slug="aquecimento", grade_ids=GRADE_IDS)
    assignment.source_notebook.save("fonte.ipynb", ContentFile(source_bytes()), save=False)
    assignment.release_notebook.save("aquecimento.ipynb", ContentFile(release_bytes()))
    url = reverse("classroom:assignment", args=[course.slug, assignment.slug])
    clients = []
    for number in range(students):
        user = UserFactory(username=f"aluno{number}")
        EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    connection.close()  # each thread opens its own connection

    start = threading.Barrier(students)
    statuses: list[int] = [0] * students

    def send(index: int) -> None:
        start.wait()
        statuses[index] = clients[index].post(url, {"file": upload()}).status_code
        connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"statuses": statuses}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
