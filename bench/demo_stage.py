"""bench/grading.py's set-up, run as its own process with ``SOURCE``'s code first on the path.

Usage: ``python bench/demo_stage.py SOURCE OUT`` in the stack's environment (DATABASE_URL...).
Imports nothing of the project before ``SOURCE`` is on ``sys.path``, so an older checkout
sets up its own database with its own code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def setup_stage(source: Path, out: Path) -> None:
    """(In the stack's environment, with ``source``'s code.) Migrate; the course, the demo
    assignment, one student and a session; write the plan to ``out`` and the solved demo
    notebook next to it."""
    sys.path.insert(0, str(source))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    import datetime as dt
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone

    from portal.accounts.models import User
    from portal.assessments.services import assignment_create
    from portal.courses.models import Course, Enrollment
    from tests.course_content.test_notebooks import filled

    demo = source / "course_content" / "notebooks" / "aquecimento" / "aquecimento.ipynb"

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    course = Course.objects.create(slug="mle", title="MLE", start_date=timezone.now().date())
    assignment, _ = assignment_create(
        course=course,
        slug="aquecimento",
        title="Notebook de aquecimento",
        source_path=demo,
        due_at=timezone.now() + dt.timedelta(days=7),
        min_seconds_between_attempts=0,
    )
    release = json.loads(default_storage.open(assignment.release_notebook.name).read())
    solved = filled(release, json.loads(demo.read_text("utf-8")))
    (out.parent / "entrega.ipynb").write_text(json.dumps(solved), encoding="utf-8")
    user = User.objects.create(username="aluno", email="aluno@bench.local", full_name="Aluno")
    Enrollment.objects.create(
        course=course, user=user, email=user.email, full_name=user.full_name, role="student"
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out.write_text(
        json.dumps(
            {
                "path": reverse("classroom:assignment", args=[course.slug, assignment.slug]),
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "sessions": [session.session_key],
            }
        )
    )


if __name__ == "__main__":
    setup_stage(Path(sys.argv[1]), Path(sys.argv[2]))
