from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from portal.courses.content import load_course
from portal.courses.models import ClassSession, Course, CoursePage, Material, Week
from portal.courses.sync import course_sync
from tests.courses.course_dir import COURSE_YAML, write_course

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _sync(root):
    return course_sync(spec=load_course(root))


def test_a_first_sync_creates_everything(tmp_path):
    report = _sync(write_course(tmp_path / "c"))

    course = Course.objects.get(slug="demo")
    assert report.changed
    assert list(course.weeks.values_list("number", flat=True)) == [1, 2]
    assert CoursePage.objects.filter(course=course).count() == 1
    assert ClassSession.objects.filter(week__course=course).count() == 3
    material = Material.objects.get(kind="file")
    assert material.file.read().decode() == "- [ ] Python 3.11\n"


def test_a_second_sync_changes_nothing_and_says_so(tmp_path, capsys):
    root = write_course(tmp_path / "c")
    call_command("sync_course", str(root))
    snapshot = list(Week.objects.values())

    call_command("sync_course", str(root))

    assert "nothing changed" in capsys.readouterr().out
    assert list(Week.objects.values()) == snapshot
    assert _sync(root).changes == []


def test_an_edit_updates_only_what_changed(tmp_path):
    root = write_course(tmp_path / "c")
    _sync(root)
    (root / "weeks/02/teoria.md").write_text("## Dados\n\nTexto revisado.\n", encoding="utf-8")

    report = _sync(root)

    assert report.changes == ["updated week 2: theory_md"]
    assert "revisado" in Week.objects.get(number=2).theory_md


def test_the_portal_owns_publication_until_the_file_changes_its_date(tmp_path, bruno):
    root = write_course(tmp_path / "c")
    _sync(root)
    week = Week.objects.get(course__slug="demo", number=2)
    week.publish_at = None  # an instructor unpublished it in the portal
    week.save()

    assert _sync(root).changes == []
    week.refresh_from_db()
    assert week.publish_at is None

    (root / "course.yaml").write_text(
        COURSE_YAML.replace("publish_at: 2030-03-08T08:00", "publish_at: 2030-03-09T08:00"),
        encoding="utf-8",
    )
    report = _sync(root)
    week.refresh_from_db()
    assert report.changes == ["updated week 2: publish_at, source_publish_at"]
    assert week.publish_at.date() == dt.date(2030, 3, 9)


def test_a_week_removed_from_the_file_is_removed(tmp_path):
    root = write_course(tmp_path / "c")
    _sync(root)
    trimmed = COURSE_YAML[: COURSE_YAML.index("  - number: 2")]
    (root / "course.yaml").write_text(trimmed, encoding="utf-8")

    report = _sync(root)

    assert "deleted week 2" in report.changes
    assert list(Week.objects.values_list("number", flat=True)) == [1]


def test_a_changed_material_file_is_stored_again(tmp_path):
    root = write_course(tmp_path / "c")
    _sync(root)
    (root / "weeks/01/checklist.md").write_text("- [ ] Docker\n", encoding="utf-8")

    report = _sync(root)

    material = Material.objects.get(kind="file")
    assert report.changes == ["updated week 1 material 'Checklist': sha256, file"]
    assert material.file.read().decode() == "- [ ] Docker\n"


def test_an_invalid_course_fails_with_file_and_line_and_changes_nothing(tmp_path):
    root = write_course(tmp_path / "c")
    call_command("sync_course", str(root))
    before = list(Week.objects.values())
    (root / "weeks/01/teoria.md").write_text("## Novo texto\n", encoding="utf-8")
    (root / "weeks/02/teoria.md").unlink()

    with pytest.raises(CommandError) as caught:
        call_command("sync_course", str(root))

    assert "course.yaml:" in str(caught.value)
    assert "weeks/02/teoria.md' not found" in str(caught.value)
    assert "Nothing was changed" in str(caught.value)
    assert list(Week.objects.values()) == before


def test_a_failure_while_writing_rolls_back_the_whole_sync(tmp_path, monkeypatch):
    root = write_course(tmp_path / "c")
    spec = load_course(root)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("portal.courses.sync._sync_materials", explode)
    with pytest.raises(RuntimeError):
        course_sync(spec=spec)

    assert not Course.objects.exists()
    assert not Week.objects.exists()


def test_the_real_course_syncs_and_is_idempotent():
    from django.conf import settings

    spec = load_course(settings.COURSE_CONTENT_DIR)
    assert course_sync(spec=spec).changed
    assert course_sync(spec=spec).changes == []
    assert Week.objects.filter(course__slug=spec.slug).count() == 8
