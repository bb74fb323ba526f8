"""Notebook releases made after their assignment is saved: several at a time, each once, and
in the background while the portal answers (``make run``).

Builds are counted by a stand-in builder (or ``write_release`` replaced), never timed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from autograder import notebooks as autograder_notebooks
from portal.assessments.management.commands import sync_course
from portal.assessments.models import Assignment
from portal.assessments.releases import BackgroundReleases, releases_build
from portal.assessments.selectors import releases_pending
from portal.assessments.services import assignment_create, release_store
from tests.assessments.test_content import _course
from tests.autograder import notebooks
from tests.support.attempts import release_bytes


class CountingBuilder:
    """nbgrader's release without Docker, counting its calls (thread-safe). With
    ``together=2`` each call waits until another one runs at the same time: builds made one
    after the other would fail with BrokenBarrierError instead of passing."""

    def __init__(self, *, together: int = 1) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(together, timeout=30) if together > 1 else None

    def __call__(self, path: Path) -> bytes:
        with self._lock:
            self.calls += 1
        if self._barrier is not None:
            self._barrier.wait()
        return release_bytes()


def _deferred(course, source: Path, slug: str, order: int = 0) -> Assignment:
    assignment, _ = assignment_create(
        course=course,
        slug=slug,
        title=f"Notebook {slug}",
        source_path=source,
        due_at=timezone.now() + dt.timedelta(days=7),
        release_builder=None,
        order=order,
    )
    return assignment


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return notebooks.write(notebooks.source_notebook(), tmp_path / "fonte.ipynb")


def test_a_deferred_assignment_is_saved_at_once_with_its_rubric_and_no_release(
    course, media, source
) -> None:
    assignment = _deferred(course, source, "aquecimento")
    assert not assignment.release_notebook
    assert assignment.source_sha256 and assignment.grade_ids
    assert assignment.criteria.count() == len(assignment.grade_ids)
    assert list(releases_pending()) == [assignment]


def test_while_the_release_is_prepared_the_student_page_says_so_without_a_download(
    client, alice, published, media, source
) -> None:
    assignment = _deferred(published.course, source, "aquecimento")
    assignment.week = published
    assignment.save(update_fields=["week"])
    client.force_login(alice)
    page = client.get(reverse("classroom:assignment", args=["mle", "aquecimento"]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "O notebook desta entrega ainda não está disponível." in text
    assert reverse("assessments:release", args=["mle", "aquecimento"]) not in text
    week = client.get(reverse("classroom:week", args=["mle", published.number])).content.decode()
    assert "Notebook aquecimento" in week and "Baixar o notebook" not in week


def test_the_missing_releases_are_made_two_at_a_time_and_each_only_once(
    course, media, source
) -> None:
    made = [_deferred(course, source, slug, order) for order, slug in enumerate(["a", "b"])]
    builder = CountingBuilder(together=2)  # passes only if both builds overlap
    done: list[tuple[str, int, int]] = []
    results = releases_build(
        list(releases_pending()),
        release_builder=builder,
        parallel=2,
        on_done=lambda built, count, total: done.append((built.assignment.slug, count, total)),
    )
    assert [built.error for built in results] == [None, None]
    assert builder.calls == 2
    assert sorted(slug for slug, _, _ in done) == ["a", "b"]
    assert [(count, total) for _, count, total in done] == [(1, 2), (2, 2)]
    for assignment in made:
        assignment.refresh_from_db()
        release = assignment.release_notebook.read()
        assert b"teste_normaliza" in release and b"BEGIN SOLUTION" not in release
    assert list(releases_pending()) == []
    assert releases_build(list(releases_pending()), release_builder=builder) == []
    assert builder.calls == 2


def test_one_failed_release_does_not_stop_the_others_and_stays_pending(
    course, media, source
) -> None:
    _deferred(course, source, "a", 0)
    _deferred(course, source, "b", 1)
    calls: list[Path] = []

    def docker_fails_once(path: Path) -> bytes:
        calls.append(path)
        if len(calls) == 1:
            raise autograder_notebooks.PrepareError("docker went away")
        return release_bytes()

    results = releases_build(
        list(releases_pending()), release_builder=docker_fails_once, parallel=1
    )
    assert [(b.assignment.slug, type(b.error).__name__) for b in results] == [
        ("a", "PrepareError"),
        ("b", "NoneType"),
    ]
    assert [a.slug for a in releases_pending()] == ["a"]


def test_a_release_made_for_a_replaced_source_is_not_kept(course, media, source, tmp_path) -> None:
    assignment = _deferred(course, source, "aquecimento")
    old_sha = assignment.source_sha256
    changed = notebooks.source_notebook()
    changed.cells[0].source += "\n# outra versão"
    _deferred(course, notebooks.write(changed, tmp_path / "nova.ipynb"), "aquecimento")
    assert not release_store(assignment=assignment, source_sha256=old_sha, release=b"{}")
    assignment.refresh_from_db()
    assert not assignment.release_notebook and assignment.source_sha256 != old_sha


def test_a_changed_source_drops_the_old_release_until_the_new_one_is_made(
    course, media, source, tmp_path
) -> None:
    assignment_create(
        course=course,
        slug="aquecimento",
        title="Aquecimento",
        source_path=source,
        due_at=timezone.now() + dt.timedelta(days=7),
        release_builder=CountingBuilder(),
    )
    changed = notebooks.source_notebook()
    changed.cells[0].source += "\n# outra versão"
    assignment = _deferred(course, notebooks.write(changed, tmp_path / "nova.ipynb"), "aquecimento")
    assert not assignment.release_notebook and assignment.release_sha256 == ""
    assert list(releases_pending()) == [assignment]


@pytest.fixture
def counted_builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """``sync_course`` with the grading image "available" and nbgrader replaced: the sources
    it was asked to build, in order."""
    built: list[Path] = []

    def write_release(source: Path, output: Path, *, image: str) -> Path:
        built.append(source)
        output.write_bytes(release_bytes())
        return output

    monkeypatch.setattr(autograder_notebooks, "write_release", write_release)
    monkeypatch.setattr(sync_course, "grading_available", lambda: None)
    return built


def test_sync_course_builds_the_releases_and_a_second_sync_builds_nothing(
    db, media, tmp_path, counted_builds
) -> None:
    root = _course(tmp_path)
    first, second = io.StringIO(), io.StringIO()
    call_command("sync_course", str(root), stdout=first)
    assert len(counted_builds) == 1
    assert Assignment.objects.get(slug="aquecimento").release_notebook
    call_command("sync_course", str(root), stdout=second)
    assert len(counted_builds) == 1
    assert "is up to date: nothing changed" in second.getvalue()


def test_sync_course_defers_the_releases_and_a_later_sync_makes_only_the_missing_ones(
    db, media, tmp_path, counted_builds
) -> None:
    root = _course(tmp_path)
    deferred = io.StringIO()
    call_command("sync_course", str(root), defer_releases=True, stdout=deferred)
    assert counted_builds == []
    assert [a.slug for a in releases_pending()] == ["aquecimento"]
    assert "created assignment aquecimento" in deferred.getvalue()
    later = io.StringIO()
    call_command("sync_course", str(root), stdout=later)
    assert len(counted_builds) == 1
    assert "updated assignment aquecimento: its release is missing" in later.getvalue()
    assert list(releases_pending()) == []
    call_command("sync_course", str(root), stdout=io.StringIO())
    assert len(counted_builds) == 1


def test_in_the_background_the_progress_is_printed_and_every_release_is_made(
    transactional_db, course, media, source
) -> None:
    _deferred(course, source, "a", 0)
    _deferred(course, source, "b", 1)
    lines: list[str] = []
    builder = CountingBuilder()
    releases = BackgroundReleases(
        list(releases_pending()), write=lines.append, release_builder=builder
    )
    releases.start()
    releases.join(timeout=60)
    assert builder.calls == 2
    assert lines[0].startswith("Preparing notebooks: 0/2 in the background, 2 at a time")
    progress = [
        re.fullmatch(r"Preparing notebooks: (\d)/2 \((\w+), \d+ s\)", line) for line in lines[1:3]
    ]
    assert [match[1] for match in progress] == ["1", "2"]
    assert sorted(match[2] for match in progress) == ["a", "b"]
    assert re.fullmatch(r"Notebooks ready: 2/2 in \d+ s", lines[3])
    assert list(releases_pending()) == []


def test_once_stopped_the_running_build_ends_and_no_new_one_starts(
    transactional_db, course, media, source
) -> None:
    _deferred(course, source, "a", 0)
    _deferred(course, source, "b", 1)
    running, go = threading.Event(), threading.Event()
    calls: list[Path] = []

    def slow_builder(path: Path) -> bytes:
        calls.append(path)
        running.set()
        go.wait(timeout=30)
        return release_bytes()

    lines: list[str] = []
    releases = BackgroundReleases(
        list(releases_pending()), write=lines.append, release_builder=slow_builder, parallel=1
    )
    releases.start()
    assert running.wait(timeout=30)
    releases.stop(timeout=0)  # Ctrl-C while "a" is being made
    go.set()
    releases.join(timeout=60)
    assert len(calls) == 1
    assert [a.slug for a in releases_pending()] == ["b"]  # made at the next start
    assert not any(line.startswith("Notebooks ready") for line in lines)
