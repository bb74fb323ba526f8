"""The course zip on the report page: asked for with a form, followed in a panel htmx polls
(queued, running with students done of total, failed with a reason), downloaded once done;
who may do each; and a job whose worker died is not shown running forever. The task runs in
this process (test_archive_worker.py runs it in a real worker)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.reports import services, tasks
from portal.reports.messages import MESSAGES
from portal.reports.models import ReportArchive
from tests.factories import AssignmentFactory, CourseFactory
from tests.reports import zips
from tests.reports.test_reports import enrolled
from tests.review.test_review import graded_run

pytestmark = pytest.mark.django_db
Status = ReportArchive.Status


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


def panel(client: Client, course) -> str:
    response = client.get(reverse("reports:archive_status", args=[course.slug]))
    assert response.status_code == 200
    return response.content.decode()


def state(html: str) -> str:
    return re.search(r'data-archive-state="(\w+)"', html).group(1)


def polls(html: str) -> bool:
    return "hx-get=" in html


def built(course, by) -> ReportArchive:
    archive = services.archive_request(course=course, by=by)
    assert tasks.build_archive(archive.pk) == "done"
    return ReportArchive.objects.get(pk=archive.pk)


# -- the states -------------------------------------------------------------------------------


def test_the_page_offers_the_zip_when_none_was_ever_made(client, carla, course) -> None:
    client.force_login(carla)

    page = client.get(reverse("reports:course", args=[course.slug])).content.decode()

    assert state(page) == "none" and not polls(page)
    assert f'action="{reverse("reports:archive_request", args=[course.slug])}"' in page
    assert "Gerar arquivo .zip" in page and "csrfmiddlewaretoken" in page
    assert "vendor/htmx.min.js" in page  # what polls the panel


def test_asking_queues_one_job_sent_once_committed_and_the_panel_polls_it(
    client, carla, course, django_capture_on_commit_callbacks
) -> None:
    client.force_login(carla)
    url = reverse("reports:archive_request", args=[course.slug])

    with django_capture_on_commit_callbacks() as sent:
        response = client.post(url, headers={"HX-Request": "true"})

    html = response.content.decode()
    job = ReportArchive.objects.get()
    assert len(sent) == 1
    assert (job.status, job.requested_by) == (Status.QUEUED, carla)
    assert state(html) == "queued" and polls(html)
    assert reverse("reports:archive_status", args=[course.slug]) in html
    assert "data-archive-request" not in html  # no second button while it is on its way


def test_without_htmx_asking_comes_back_to_the_panel(client, carla, course) -> None:
    client.force_login(carla)

    response = client.post(reverse("reports:archive_request", args=[course.slug]))

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:course", args=[course.slug]) + "#arquivo-zip"


def test_a_second_click_while_a_job_runs_joins_it(
    client, carla, course, django_capture_on_commit_callbacks
) -> None:
    client.force_login(carla)
    first = zips.ask(client, course)
    services.archive_claim(archive_id=first.pk)

    with django_capture_on_commit_callbacks() as sent:
        zips.ask(client, course)

    assert ReportArchive.objects.get() == first
    assert sent == []  # nothing sent again


def test_a_running_job_shows_students_done_of_total_as_a_progress_bar(
    client, carla, course
) -> None:
    client.force_login(carla)
    job = zips.ask(client, course)
    services.archive_claim(archive_id=job.pk)
    reading = panel(client, course)
    ReportArchive.objects.filter(pk=job.pk).update(students_total=40, students_done=15)

    html = panel(client, course)

    assert state(reading) == "running" and "Lendo as notas da turma" in reading
    assert state(html) == "running" and polls(html)
    assert re.search(r'<progress class="progress" max="40" value="15"', html)
    assert "15 de 40 alunos no arquivo" in html


def test_a_finished_job_offers_its_zip_with_size_and_date_and_stops_polling(
    client, carla, alice, assignment, course
) -> None:
    graded_run(assignment, alice, manual_pending=False)
    client.force_login(carla)
    job = built(course, carla)

    html = panel(client, course)
    response = zips.download(client, job)

    assert (job.status, job.students_done, job.students_total) == (Status.DONE, 1, 1)
    assert state(html) == "done" and not polls(html)
    assert reverse("reports:archive_download", args=[course.slug, job.pk]) in html
    assert re.search(r"\d+(,\d)?\s(KB|bytes), gerado em", html)
    assert "data-archive-outdated" not in html
    assert response.status_code == 200
    assert 'filename="relatorios-mle.zip"' in response["Content-Disposition"]
    assert len(b"".join(response.streaming_content)) == job.size


def test_a_zip_older_than_the_latest_grades_says_so(
    client, carla, alice, assignment, course
) -> None:
    job = built(course, carla)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    ReportArchive.objects.filter(pk=job.pk).update(started_at=an_hour_ago)
    graded_run(assignment, alice, manual_pending=False)  # graded after the zip read the grades
    client.force_login(carla)

    assert "data-archive-outdated" in panel(client, course)


def test_a_new_zip_replaces_the_older_one_in_the_storage(client, carla, course) -> None:
    older = built(course, carla)
    newer = built(course, carla)
    client.force_login(carla)

    older.refresh_from_db()
    assert not default_storage.exists(f"reports/archives/{older.pk}/relatorios-mle.zip")
    assert older.file == "" and newer.file
    assert zips.download(client, older).status_code == 404
    assert zips.download(client, newer).status_code == 200


def test_a_failed_job_shows_its_reason_and_the_previous_zip_stays_downloadable(
    client, carla, course
) -> None:
    ready = built(course, carla)
    failed = services.archive_request(course=course, by=carla)
    services.archive_fail(archive_id=failed.pk, reason="Sem espaço no disco.")
    client.force_login(carla)

    html = panel(client, course)

    assert state(html) == "failed" and not polls(html)
    assert 'role="alert"' in html and "Sem espaço no disco." in html
    assert reverse("reports:archive_download", args=[course.slug, ready.pk]) in html
    assert "data-archive-request" in html  # ask again


# -- failures ---------------------------------------------------------------------------------


class HalfWritingStorage(FileSystemStorage):
    """Writes part of the file, then the disk is full."""

    def _save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            out.write(content.read(100))
        raise OSError(28, "No space left on device")


def test_a_zip_the_storage_cannot_hold_fails_with_a_reason_and_leaves_no_file(
    client, carla, alice, assignment, course, media_root, monkeypatch
) -> None:
    graded_run(assignment, alice)
    job = services.archive_request(course=course, by=carla)
    storage = HalfWritingStorage(location=media_root)
    monkeypatch.setattr(default_storage, "_wrapped", storage)

    with pytest.raises(OSError):
        tasks.build_archive(job.pk)

    job.refresh_from_db()
    assert job.status == Status.FAILED and job.file == "" and job.size is None
    assert "armazenamento" in job.error and "No space left on device" in job.error
    assert not list(media_root.rglob("*.zip"))  # the half-written file was removed
    client.force_login(carla)
    html = panel(client, course)
    assert state(html) == "failed" and "No space left on device" in html
    assert "data-archive-ready" not in html


def test_a_job_whose_worker_died_is_shown_failed_not_running_forever(client, carla, course) -> None:
    job = services.archive_request(course=course, by=carla)
    long_ago = timezone.now() - dt.timedelta(seconds=services.TIME_LIMIT_SECONDS + 1)
    services.archive_claim(archive_id=job.pk, now=long_ago)
    client.force_login(carla)

    html = panel(client, course)

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == MESSAGES.text("reports.archive_abandoned")
    assert state(html) == "failed" and not polls(html)
    assert tasks.build_archive(job.pk) == "not-claimed"  # its message back: not built after all


def test_a_job_no_worker_took_is_failed_and_asking_again_makes_a_new_one(
    client, carla, course
) -> None:
    job = services.archive_request(course=course, by=carla)
    long_ago = timezone.now() - dt.timedelta(seconds=services.TIME_LIMIT_SECONDS + 1)
    ReportArchive.objects.filter(pk=job.pk).update(created_at=long_ago)
    client.force_login(carla)

    again = zips.ask(client, course)

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == MESSAGES.text("reports.archive_never_started")
    assert again != job and again.status == Status.QUEUED


# -- progress ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_written_every_n_students_or_every_second_not_for_each(
    carla, course, django_assert_num_queries
) -> None:
    job = services.archive_request(course=course, by=carla)
    clock = Clock()
    progress = services.ProgressWriter(job.pk, every_students=10, every_seconds=1.0, clock=clock)

    def done() -> int:
        return ReportArchive.objects.get(pk=job.pk).students_done

    with django_assert_num_queries(0):
        for n in range(1, 10):
            progress(n)  # 9 students in under a second: nothing written
    progress(10)
    by_count = done()
    progress(11)
    clock.now = 1.5
    progress(12)
    by_time = done()

    assert (by_count, by_time) == (10, 12)


def test_a_built_job_counts_every_student(carla, course) -> None:
    AssignmentFactory(course=course, slug="semana-1")  # a report needs an assignment
    for n in range(3):
        enrolled(course, f"aluno{n}", f"Aluno {n}")

    job = built(course, carla)

    assert (job.students_done, job.students_total) == (3, 3)


# -- who may ----------------------------------------------------------------------------------


def every_url(course, archive) -> list[tuple[str, str]]:
    return [
        ("get", reverse("reports:archive_status", args=[course.slug])),
        ("post", reverse("reports:archive_request", args=[course.slug])),
        ("get", reverse("reports:archive_download", args=[course.slug, archive.pk])),
    ]


def test_instructors_get_403_students_and_outsiders_404_and_no_job_is_made(
    client, carla, bruno, alice, charlie, course
) -> None:
    archive = built(course, carla)
    for user, expected in ((bruno, 403), (alice, 404), (charlie, 404)):
        client.force_login(user)
        for method, url in every_url(course, archive):
            assert getattr(client, method)(url).status_code == expected, (user, url)
    assert ReportArchive.objects.count() == 1


def test_a_zip_of_another_course_is_not_found_under_this_one(client, carla, course) -> None:
    other = CourseFactory(slug="outro", title="Outro curso")
    theirs = built(other, carla)
    client.force_login(carla)

    response = client.get(reverse("reports:archive_download", args=[course.slug, theirs.pk]))

    assert response.status_code == 404


def test_a_zip_not_finished_is_not_found(client, carla, course) -> None:
    job = services.archive_request(course=course, by=carla)
    client.force_login(carla)

    assert zips.download(client, job).status_code == 404


def test_asking_needs_a_post_with_the_csrf_token(carla, course) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(carla)
    url = reverse("reports:archive_request", args=[course.slug])

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not ReportArchive.objects.exists()


def test_the_old_zip_address_leads_to_the_panel_and_builds_nothing(client, carla, course) -> None:
    client.force_login(carla)

    response = client.get(reverse("reports:zip", args=[course.slug]))

    assert response.status_code == 302
    assert response["Location"].endswith("/relatorios/#arquivo-zip")
    assert not ReportArchive.objects.exists()
