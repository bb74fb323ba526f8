"""course.yaml's assignments in the portal: sync, the week page, downloads (never the
held-out files), the final project's rubric and the opt-in held-out leaderboard."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from portal.assessments.content import load_course_content
from portal.assessments.models import Assignment, AssignmentFile, Criterion
from portal.assessments.sync import assignments_sync
from portal.courses.models import Course
from portal.courses.sync import SyncReport, course_sync
from portal.grading.inputs import assignment_files
from portal.grading.models import GradingRun
from portal.submissions.models import LeaderboardEntry, Submission
from tests.assessments.test_content import ASSIGNMENTS, _course
from tests.factories import EnrollmentFactory, SubmissionFactory, UserFactory
from tests.support.attempts import release_bytes


def fake_release(path: Path) -> bytes:
    """nbgrader's release without Docker (the real one is tested with the notebooks)."""
    return release_bytes()


def _sync(root: Path, **kwargs) -> SyncReport:
    content = load_course_content(root)
    report = course_sync(spec=content.course)
    assignments_sync(
        course=Course.objects.get(slug=content.course.slug),
        specs=content.assignments,
        report=report,
        release_builder=kwargs.pop("builder", fake_release),
        **kwargs,
    )
    return report


@pytest.fixture
def synced(db, media, tmp_path: Path) -> Course:
    _sync(_course(tmp_path))
    course = Course.objects.get(slug="demo")
    course.weeks.update(publish_at=timezone.now())
    return course


@pytest.fixture
def ana(synced):
    user = UserFactory(username="ana")
    EnrollmentFactory(course=synced, user=user, role="student")
    return user


@pytest.fixture
def beto(synced):
    user = UserFactory(username="beto")
    EnrollmentFactory(course=synced, user=user, role="student")
    return user


@pytest.fixture
def bia(synced):
    user = UserFactory(username="bia")
    EnrollmentFactory(course=synced, user=user, role="instructor")
    return user


# -- sync ---------------------------------------------------------------------------------------


def test_sync_creates_assignments_criteria_and_files(synced) -> None:
    notebook = Assignment.objects.get(course=synced, slug="aquecimento")
    assert (notebook.week.number, notebook.finalist_bonus, notebook.memory_mb) == (1, 2, 2048)
    release = notebook.release_notebook.read()
    assert b"teste_normaliza" in release and b"BEGIN SOLUTION" not in release
    assert notebook.holdout["thresholds"] == [[0.84, 4.0], [0.8, 3.0]]
    assert list(notebook.criteria.values_list("key", "max_points", "manual")) == [
        ("codigo", Decimal(5), False),
        ("escrita", Decimal(1), True),
        ("avaliacao_oculta", Decimal(4), False),
    ]
    assert sorted(notebook.files.values_list("role", "name")) == [
        ("data", "tabela.csv"),
        ("holdout-features", "x.csv"),
        ("holdout-labels", "y.csv"),
    ]
    project = Assignment.objects.get(course=synced, slug="projeto-final")
    assert (project.kind, project.release_mode, project.week.number) == ("project", "manual", 2)
    readme = project.criteria.get(key="readme")
    assert (readme.check_name, readme.check_params["min_words"], len(readme.levels)) == (
        "readme",
        400,
        3,
    )
    assert project.criteria.get(key="dados").manual


def test_a_second_sync_changes_nothing_and_does_no_docker_work(synced, tmp_path: Path) -> None:
    def no_docker(path: Path) -> bytes:
        raise AssertionError("the release must not be rebuilt for an unchanged source")

    report = _sync(tmp_path / "curso", builder=no_docker)
    assert report.changes == []


def test_edited_rubric_and_data_are_applied_and_reported(synced, tmp_path: Path) -> None:
    root = tmp_path / "curso"
    (root / "dados" / "tabela.csv").write_text("a,b\n3,4\n")
    text = (
        (root / "course.yaml")
        .read_text()
        .replace("title: Resposta escrita", "title: Pergunta sobre escala")
    )
    (root / "course.yaml").write_text(text)
    report = _sync(root)
    assert "updated assignment aquecimento: settings or rubric" in report.changes
    assert "updated assignment aquecimento: 1 data file(s)" in report.changes
    assert Criterion.objects.get(key="escrita").title == "Pergunta sobre escala"
    data = AssignmentFile.objects.get(name="tabela.csv")
    assert data.file.read() == b"a,b\n3,4\n"


@pytest.mark.docker
def test_sync_course_says_which_notebook_it_builds_in_the_grading_image(
    db, media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE_DIR", str(tmp_path / "cache"))
    root = _course(tmp_path)
    first, second = io.StringIO(), io.StringIO()
    call_command("sync_course", str(root), stdout=first)
    call_command("sync_course", str(root), stdout=second)
    lines = first.getvalue().splitlines()
    building = lines.index(
        "  notebook aquecimento: building the student version with nbgrader in the grading "
        "image (~5 s)..."
    )
    assert re.fullmatch(r"  notebook aquecimento: done in \d+ s \(1/1\)", lines[building + 1])
    assert "notebook aquecimento" not in second.getvalue()  # unchanged: nothing built


def test_without_docker_only_the_final_project_is_synchronised(db, media, tmp_path) -> None:
    report = _sync(_course(tmp_path), notebooks=False)
    assert [c for c in report.changes if "assignment" in c] == [
        "created assignment projeto-final (final project, 2 criteria, 15 points)"
    ]


def test_grading_gets_the_data_and_the_holdout_spec(synced, tmp_path) -> None:
    inputs = assignment_files(Assignment.objects.get(slug="aquecimento"), tmp_path)
    assert [path.name for path in inputs["data_files"]] == ["tabela.csv"]
    spec = inputs["holdout"]
    assert (spec.features.read_text(), spec.labels.read_text()) == (
        "customerID,f\n",
        "customerID,Churn\n",
    )
    assert (spec.metric, spec.max_points, spec.key) == ("roc_auc", 4.0, "avaliacao_oculta")


# -- pages and downloads ------------------------------------------------------------------------


def test_the_week_page_lists_its_assignments_with_downloads(client, ana, synced) -> None:
    client.force_login(ana)
    page = client.get(reverse("classroom:week", args=["demo", 1])).content.decode()
    assert reverse("classroom:assignment", args=["demo", "aquecimento"]) in page
    assert reverse("assessments:release", args=["demo", "aquecimento"]) in page
    assert reverse("assessments:bundle", args=["demo", "aquecimento"]) in page
    other = client.get(reverse("classroom:week", args=["demo", 2])).content.decode()
    assert "aquecimento" not in other and "Projeto final" in other


def test_students_download_the_data_and_the_zip_but_never_the_holdout(client, ana, synced) -> None:
    client.force_login(ana)
    data = client.get(reverse("assessments:data", args=["demo", "aquecimento", "tabela.csv"]))
    assert data.status_code == 200 and b"".join(data.streaming_content) == b"a,b\n1,2\n"
    for hidden in ("x.csv", "y.csv", "../ocultos/y.csv"):
        url = reverse("classroom:assignment", args=["demo", "aquecimento"]) + "dados/" + hidden
        assert client.get(url).status_code == 404, hidden
    bundle = client.get(reverse("assessments:bundle", args=["demo", "aquecimento"]))
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert names == ["aquecimento/aquecimento.ipynb", "aquecimento/dados/tabela.csv"]
    page = client.get(reverse("classroom:assignment", args=["demo", "aquecimento"]))
    text = page.content.decode()
    assert "dados/tabela.csv" in text and "x.csv" not in text and "y.csv" not in text
    assert "Placar do conjunto oculto" in text and "Melhor ROC AUC de cada participante" in text


def test_on_s3_a_second_sync_reuses_the_objects_and_students_download_through_the_portal(
    client, db, s3_server, s3_media, tmp_path
) -> None:
    root = _course(tmp_path)
    _sync(root)
    keys = sorted(s3_server.keys(s3_media))
    assert any(key.endswith("tabela.csv") for key in keys)
    assert _sync(root).changes == [] and sorted(s3_server.keys(s3_media)) == keys
    course = Course.objects.get(slug="demo")
    course.weeks.update(publish_at=timezone.now())
    student = UserFactory(username="ana")
    EnrollmentFactory(course=course, user=student, role="student")
    client.force_login(student)

    data = client.get(reverse("assessments:data", args=["demo", "aquecimento", "tabela.csv"]))
    bundle = client.get(reverse("assessments:bundle", args=["demo", "aquecimento"]))

    assert b"".join(data.streaming_content) == b"a,b\n1,2\n"
    assert "aquecimento/dados/tabela.csv" in zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()


def test_outsiders_get_404_for_every_download(client, synced, charlie) -> None:
    client.force_login(charlie)
    for name, args in [("data", ["tabela.csv"]), ("bundle", []), ("release", [])]:
        url = reverse(f"assessments:{name}", args=["demo", "aquecimento", *args])
        assert client.get(url).status_code == 404


def test_the_final_project_page_shows_the_rubric_and_asks_for_a_repository(
    client, ana, synced
) -> None:
    client.force_login(ana)
    url = reverse("classroom:assignment", args=["demo", "projeto-final"])
    page = client.get(url).content.decode()
    assert "Critérios de avaliação" in page and "As cinco seções." in page
    assert "Verificação automática, revisada pela banca" in page and "Instrutor" in page
    assert 'type="file"' not in page and 'name="url"' in page
    assert client.post(url, {"url": "file:///etc/passwd"}).status_code == 400
    assert not Submission.objects.exists()


# -- the leaderboard -----------------------------------------------------------------------------


def _run(
    assignment: Assignment, student, value: float | None, attempt: int = 1, finished_at=None
) -> GradingRun:
    submission = SubmissionFactory(
        assignment=assignment, student=student, attempt=attempt, status=Submission.Status.GRADED
    )
    now = finished_at or timezone.now()
    return GradingRun.objects.create(
        submission=submission,
        number=1,
        status=GradingRun.Status.DONE,
        queued_at=now,
        finished_at=now,
        holdout_value=value,
    )


def test_joining_gives_a_pseudonym_and_only_participants_are_listed(
    client, ana, beto, synced
) -> None:
    assignment = Assignment.objects.get(slug="aquecimento")
    _run(assignment, ana, 0.81)
    _run(assignment, ana, 0.86, attempt=2)
    _run(assignment, beto, 0.90)  # beto never joins: never listed
    client.force_login(ana)
    url = reverse("classroom:leaderboard", args=["demo", "aquecimento"])
    response = client.post(url, {"participar": "sim"}, follow=True)
    entry = LeaderboardEntry.objects.get(student=ana)
    assert f"Você entrou no placar como {entry.pseudonym}." in response.content.decode()
    page = client.get(reverse("classroom:assignment", args=["demo", "aquecimento"]))
    text = page.content.decode()
    assert entry.pseudonym in text and "0,860" in text and "0,900" not in text
    assert "ana" not in text.split('id="placar"')[1].split("</section>")[0]
    client.post(url, {"participar": "nao"})
    assert not LeaderboardEntry.objects.exists()


def test_the_ranking_is_best_first_with_earlier_wins_ties(ana, beto, synced) -> None:
    from portal.grading import selectors
    from portal.submissions import services

    assignment = Assignment.objects.get(slug="aquecimento")
    carol = UserFactory(username="carol")
    earlier = timezone.now() - timezone.timedelta(hours=2)
    _run(assignment, ana, 0.80)
    _run(assignment, beto, 0.85, finished_at=timezone.now())
    _run(assignment, carol, 0.85, finished_at=earlier)
    for student in (ana, beto, carol):
        services.leaderboard_join(assignment=assignment, student=student)
    rows = selectors.leaderboard(assignment, beto)
    names = {e.student_id: e.pseudonym for e in LeaderboardEntry.objects.all()}
    assert [(r.rank, r.pseudonym, r.value, r.is_viewer) for r in rows] == [
        (1, names[carol.pk], 0.85, False),
        (2, names[beto.pk], 0.85, True),
        (3, names[ana.pk], 0.80, False),
    ]
    assert len(set(names.values())) == 3


def test_the_leaderboard_waits_for_released_grades(client, ana, bia, synced) -> None:
    assignment = Assignment.objects.get(slug="aquecimento")
    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save()
    client.force_login(ana)
    page = client.get(reverse("classroom:assignment", args=["demo", "aquecimento"]))
    assert "O placar aparece quando as notas desta entrega forem liberadas." in (
        page.content.decode()
    )
    client.force_login(bia)
    url = reverse("classroom:leaderboard", args=["demo", "aquecimento"])
    assert client.post(url, {"participar": "sim"}).status_code == 404  # only students join


def test_the_leaderboard_costs_the_same_queries_for_many_students(
    synced, django_assert_max_num_queries
) -> None:
    from portal.grading import selectors
    from portal.submissions import services

    assignment = Assignment.objects.get(slug="aquecimento")
    for index in range(30):
        student = UserFactory(username=f"aluno{index}")
        _run(assignment, student, 0.7 + index / 100)
        services.leaderboard_join(assignment=assignment, student=student)
    with django_assert_max_num_queries(3):
        rows = selectors.leaderboard(assignment)
    assert [row.rank for row in rows] == list(range(1, 31))
    assert rows[0].value == pytest.approx(0.99)


def test_assignments_yaml_in_tests_matches_the_documented_schema() -> None:
    schema = (Path(__file__).resolve().parents[2] / "course_content" / "SCHEMA.md").read_text()
    for key in (
        "assignments:",
        "final_project:",
        "holdout:",
        "finalist_bonus:",
        "criteria:",
        "late_policy:",
        "min_minutes_between_attempts:",
    ):
        assert key in ASSIGNMENTS and key in schema, key


REAL_COURSE = Path(__file__).resolve().parents[2] / "course_content"


@pytest.fixture
def real_course(client, db, media) -> Course:
    """The course of course_content/, every week published, ``client`` signed in as a student."""
    _sync(REAL_COURSE)
    course = Course.objects.get(slug="mle")
    course.weeks.update(publish_at=timezone.now())
    student = UserFactory(username="estudante")
    EnrollmentFactory(course=course, user=student, role="student")
    client.force_login(student)
    return course


def test_every_notebook_of_the_real_course_is_on_its_week_page(client, real_course) -> None:
    course = real_course
    notebooks = Assignment.objects.filter(course=course, kind=Assignment.Kind.NOTEBOOK)
    assert (
        notebooks.count()
        == len([a for a in load_course_content(REAL_COURSE).assignments if a.kind == "notebook"])
        >= 4
    )
    for assignment in notebooks:
        page = client.get(reverse("classroom:week", args=["mle", assignment.week.number]))
        text = page.content.decode()
        assert reverse("assessments:release", args=["mle", assignment.slug]) in text
        assert reverse("assessments:bundle", args=["mle", assignment.slug]) in text
        download = client.get(reverse("assessments:release", args=["mle", assignment.slug]))
        assert download.status_code == 200


def test_a_week_page_that_offers_its_notebook_does_not_say_it_will_be_available(
    client, real_course
) -> None:
    course = real_course
    weeks = Assignment.objects.filter(course=course, kind=Assignment.Kind.NOTEBOOK).values_list(
        "week__number", flat=True
    )
    for number in sorted(set(weeks)):
        text = client.get(reverse("classroom:week", args=["mle", number])).content.decode()
        assert "Baixar o notebook" in text
        assert "estará disponível" not in text, f"week {number} offers its notebook already"
