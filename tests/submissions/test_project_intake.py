"""Final-project intake: the URL is checked, the ref resolved to a commit against a real git
server on localhost, and every bad input gets its message with nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.grading import services as grading_services
from portal.grading.models import GradingRun
from portal.grading.services import submission_status_refresh
from portal.submissions.messages import UploadRejected
from portal.submissions.models import Submission
from tests.autograder.git_server import add_commit, free_port, make_empty_repo, make_repo
from tests.grading.project_assignment import project_assignment

FILES = {"README.md": "# Projeto\n\n## Objetivo\n", "src/app.py": "print('oi')\n"}


@pytest.fixture
def project(course, media) -> Assignment:
    return project_assignment(course)


@pytest.fixture
def allowed(settings, git_server):
    settings.AUTOGRADER_GIT_ALLOWED_URLS = ["https://github.com/", git_server.base_url]
    return git_server


def _graded(submission: Submission) -> None:
    """Its run done, as the worker leaves it: the next attempt is no longer refused as pending."""
    GradingRun.objects.filter(submission=submission).update(status=GradingRun.Status.DONE)
    submission_status_refresh(submission.pk)


def _nothing_stored() -> None:
    assert Submission.objects.count() == 0
    assert GradingRun.objects.count() == 0


def test_a_repository_is_pinned_to_its_commit_and_later_pushes_change_nothing(
    alice, project, allowed
) -> None:
    url, head = make_repo(allowed, "ana/churn", FILES, tags=["entrega-final"])
    first = grading_services.project_attempt_submit(assignment=project, student=alice, url=url)
    assert (first.attempt, first.repo_url, first.commit_sha) == (1, url, head)
    assert first.status == Submission.Status.QUEUED and first.runs.count() == 1
    _graded(first)
    later = add_commit(allowed, "ana/churn", {"src/app.py": "print('mudou')\n"})
    first.refresh_from_db()
    assert first.commit_sha == head != later
    by_tag = grading_services.project_attempt_submit(
        assignment=project, student=alice, url=url, ref="entrega-final"
    )
    assert (by_tag.attempt, by_tag.commit_sha, by_tag.repo_ref) == (2, head, "entrega-final")
    _graded(by_tag)
    again = grading_services.project_attempt_submit(assignment=project, student=alice, url=url)
    assert (again.attempt, again.commit_sha) == (3, later)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "Este repositório não pode ser entregue"),
        ("ssh://git@github.com/ana/churn.git", "Este repositório não pode ser entregue"),
        ("git@github.com:ana/churn.git", "Este repositório não pode ser entregue"),
        ("https://ana:segredo@github.com/ana/churn", "Este repositório não pode ser entregue"),
        ("https://gitlab.com/ana/churn", "Este repositório não pode ser entregue"),
        ("https://github.com/ana", "Este repositório não pode ser entregue"),
    ],
)
def test_refused_urls_say_why_and_store_nothing(alice, project, allowed, url, message) -> None:
    with pytest.raises(UploadRejected) as caught:
        grading_services.project_attempt_submit(assignment=project, student=alice, url=url)
    assert caught.value.message_id == "repo.rejected"
    assert caught.value.message.startswith(message) and len(caught.value.message) > len(message)
    _nothing_stored()


def test_missing_empty_and_unknown_refs_are_refused(alice, project, allowed) -> None:
    url, _head = make_repo(allowed, "ana/churn", FILES)
    empty = make_empty_repo(allowed, "ana/vazio")
    cases = [
        (allowed.url("ana/nao-existe"), None),
        (empty, None),
        (url, "nao-existe"),
        (url, "0" * 40),
    ]
    for target, ref in cases:
        with pytest.raises(UploadRejected) as caught:
            grading_services.project_attempt_submit(
                assignment=project, student=alice, url=target, ref=ref or ""
            )
        assert caught.value.message_id == "repo.rejected", (target, ref)
    _nothing_stored()


def test_an_unreachable_server_asks_to_try_again_later(alice, project, settings) -> None:
    base = f"http://127.0.0.1:{free_port()}/"
    settings.AUTOGRADER_GIT_ALLOWED_URLS = [base]
    with pytest.raises(UploadRejected) as caught:
        grading_services.project_attempt_submit(
            assignment=project, student=alice, url=f"{base}ana/churn.git"
        )
    assert caught.value.message_id == "repo.unavailable"
    assert "Tente de novo em alguns minutos" in caught.value.message
    _nothing_stored()


def test_closed_projects_and_outsiders_are_refused_before_any_network(
    alice, charlie, project, settings
) -> None:
    settings.AUTOGRADER_GIT_ALLOWED_URLS = [f"http://127.0.0.1:{free_port()}/"]
    url = settings.AUTOGRADER_GIT_ALLOWED_URLS[0] + "ana/churn.git"
    with pytest.raises(UploadRejected) as caught:
        grading_services.project_attempt_submit(assignment=project, student=charlie, url=url)
    assert caught.value.message_id == "upload.not_student"
    project.hard_deadline_at = timezone.now() - dt.timedelta(minutes=1)
    project.save()
    with pytest.raises(UploadRejected) as caught:
        grading_services.project_attempt_submit(assignment=project, student=alice, url=url)
    assert caught.value.message_id == "upload.closed"
    _nothing_stored()


def test_a_notebook_assignment_takes_no_repository(alice, assignment, allowed) -> None:
    url, _head = make_repo(allowed, "ana/churn", FILES)
    with pytest.raises(UploadRejected) as caught:
        grading_services.project_attempt_submit(assignment=assignment, student=alice, url=url)
    assert caught.value.message_id == "repo.not_project"
    _nothing_stored()


def test_the_page_takes_the_url_and_shows_the_pinned_commit(
    client, alice, project, allowed
) -> None:
    url, head = make_repo(allowed, "ana/churn", FILES)
    client.force_login(alice)
    page = reverse("classroom:assignment", args=["mle", "projeto-final"])
    form = client.get(page).content.decode()
    assert 'name="url"' in form and 'name="ref"' in form and 'type="file"' not in form
    bad = client.post(page, {"url": "file:///etc/passwd"})
    assert bad.status_code == 400
    assert "Este repositório não pode ser entregue" in bad.content.decode()
    _nothing_stored()
    response = client.post(page, {"url": url, "ref": ""}, follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and head[:12] in text and url in text
    assert Submission.objects.get().commit_sha == head
