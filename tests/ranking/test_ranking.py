"""The selection of the final projects: the bonus arithmetic, the ranking and its tie-breaks,
who may see it, and the finalists, presentations and winner flows."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.courses.models import Enrollment
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.scoring import grade_of
from portal.ranking.messages import RankingError
from portal.ranking.models import Finalist
from portal.ranking.selectors import course_ranking, notebook_bonus
from portal.ranking.services import (
    finalist_presentation_set,
    finalist_winner_set,
    finalists_confirm,
)
from portal.submissions.models import Submission
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    CriterionFactory,
    EnrollmentFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = dt.timedelta(days=1)


# -- the scene -----------------------------------------------------------------------------------


@pytest.fixture
def project(course) -> Assignment:
    return AssignmentFactory(
        course=course,
        slug="projeto-final",
        kind=Assignment.Kind.PROJECT,
        due_at=NOW + 7 * DAY,
        order=10,
        late_penalty_percent_per_day=10,
        late_penalty_max_percent=50,
    )


@pytest.fixture
def notebooks(course) -> list[Assignment]:
    return [
        AssignmentFactory(
            course=course,
            slug=f"semana-{n}",
            due_at=NOW + n * DAY,
            order=n,
            finalist_bonus=Decimal(2),
            late_penalty_percent_per_day=10,
            late_penalty_max_percent=50,
        )
        for n in (2, 3)
    ]


def student(course, username: str, name: str | None = None):
    user = UserFactory(username=username, full_name=name or username.title())
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


def graded(
    assignment: Assignment,
    user,
    total,
    max_total=None,
    *,
    submitted_at: dt.datetime | None = None,
    pending: bool = False,
) -> GradingRun:
    """A graded attempt of ``user`` with one finished run worth ``total`` of ``max_total``."""
    attempt = Submission.objects.filter(assignment=assignment, student=user).count() + 1
    submission = SubmissionFactory(
        assignment=assignment,
        student=user,
        attempt=attempt,
        status=Submission.Status.GRADED,
        submitted_at=submitted_at or NOW - DAY,
    )
    if max_total is None:
        max_total = 100 if assignment.kind == Assignment.Kind.PROJECT else 10
    run = GradingRun.objects.create(
        submission=submission,
        number=1,
        status=GradingRun.Status.DONE,
        queued_at=NOW,
        total=Decimal(str(total)),
        max_total=Decimal(str(max_total)),
    )
    if pending:
        criterion = CriterionFactory(assignment=assignment, manual=True, max_points=10)
        CriterionScore.objects.create(
            run=run,
            criterion=criterion,
            points=None,
            max_points=10,
            justification="Aguarda o instrutor.",
        )
    return run


def rows_by_email(course) -> dict[str, object]:
    return {row.email: row for row in course_ranking(course).rows}


def order(course) -> list[str]:
    return [row.student.username for row in course_ranking(course).rows]


def page_url(course) -> str:
    return reverse("ranking:page", args=[course.slug])


def confirm_url(course) -> str:
    return reverse("ranking:confirm", args=[course.slug])


def presentation_url(finalist) -> str:
    return reverse("ranking:presentation", args=[finalist.course.slug, finalist.pk])


def winner_url(finalist) -> str:
    return reverse("ranking:winner", args=[finalist.course.slug, finalist.pk])


@pytest.fixture
def podium(course, project, notebooks):
    """Four graded projects, clear selection scores, nothing pending: dora > edu > fabi > gil."""
    people = {}
    for username, total in (("dora", 90), ("edu", 80), ("fabi", 70), ("gil", 60)):
        people[username] = student(course, username)
        graded(project, people[username], total)
    return people


# -- the bonus -----------------------------------------------------------------------------------


def test_a_notebook_gives_its_share_of_the_bonus_rounded_half_up_to_cents(course, notebooks, alice):
    notebook = notebooks[0]
    assert notebook_bonus(notebook, grade_of(graded(notebook, alice, 7, 9))) == Decimal("1.56")
    assert notebook_bonus(notebook, grade_of(graded(notebook, alice, 1, 3))) == Decimal("0.67")
    assert notebook_bonus(notebook, grade_of(graded(notebook, alice, "0.5", 8))) == Decimal(
        "0.13"
    )  # 0.125 goes up
    assert notebook_bonus(notebook, grade_of(graded(notebook, alice, 10, 10))) == Decimal("2.00")
    assert notebook_bonus(notebook, None) == Decimal("0.00")


def test_a_notebook_without_points_or_maximum_gives_nothing(course, notebooks, alice):
    notebook = notebooks[0]
    run = graded(notebook, alice, 5, 10)
    run.max_total = Decimal(0)
    assert notebook_bonus(notebook, grade_of(run)) == Decimal("0.00")
    run.max_total, run.total = Decimal(10), None
    assert notebook_bonus(notebook, grade_of(run)) == Decimal("0.00")
    notebook.finalist_bonus = Decimal(0)
    assert notebook_bonus(notebook, grade_of(graded(notebook, alice, 10, 10))) == Decimal("0.00")


def test_the_bonus_uses_the_total_after_the_late_policy(course, notebooks, alice):
    notebook = notebooks[0]
    run = graded(notebook, alice, 10, 10, submitted_at=notebook.due_at + 2 * DAY)  # 20 % off
    assert grade_of(run).total == Decimal("8.00")
    assert notebook_bonus(notebook, grade_of(run)) == Decimal("1.60")


def test_the_selection_score_adds_every_notebook_share_to_the_project_score(
    course, project, notebooks, alice
):
    graded(project, alice, "80.50")
    graded(notebooks[0], alice, 9, 10)  # 1.80
    graded(notebooks[1], alice, 5, 6)  # 1.666.. -> 1.67
    row = rows_by_email(course)[alice.email]
    assert row.project_score == Decimal("80.50")
    assert row.bonuses == [Decimal("1.80"), Decimal("1.67")]
    assert row.notebook_bonus == Decimal("3.47")
    assert row.selection_score == Decimal("83.97")


def test_a_pending_notebook_criterion_counts_zero(course, project, notebooks, alice):
    graded(project, alice, 50)
    graded(notebooks[0], alice, 4, 10, pending=True)  # 4 points exist, the rest waits
    row = rows_by_email(course)[alice.email]
    assert row.bonuses == [Decimal("0.80"), Decimal("0.00")]
    assert not row.pending_review  # only the project's own criteria hold the confirmation


def test_only_the_counting_attempt_of_a_notebook_counts(course, project, notebooks, alice):
    graded(project, alice, 50)
    graded(notebooks[0], alice, 10, 10)
    graded(notebooks[0], alice, 5, 10)  # the latest graded attempt counts, even if lower
    assert rows_by_email(course)[alice.email].bonuses[0] == Decimal("1.00")


def test_the_project_score_is_after_the_late_policy(course, project, alice):
    graded(project, alice, 90, submitted_at=project.due_at + 3 * DAY)  # 30 % off
    assert rows_by_email(course)[alice.email].project_score == Decimal("63.00")


# -- who is ranked -------------------------------------------------------------------------------


def test_students_without_a_graded_final_project_are_not_ranked(
    course, project, notebooks, alice, bruno
):
    graded(project, alice, 70)
    only_notebooks = student(course, "hugo")
    graded(notebooks[0], only_notebooks, 10, 10)
    waiting = student(course, "ines")
    SubmissionFactory(assignment=project, student=waiting, status=Submission.Status.QUEUED)
    graded(project, bruno, 100)  # the instructor trying the assignment out
    dropped = UserFactory(username="joao")
    graded(project, dropped, 95)  # submitted, then left the roster
    assert order(course) == ["alice"]


def test_a_course_without_a_final_project_has_an_empty_ranking(course, notebooks, alice):
    graded(notebooks[0], alice, 10, 10)
    result = course_ranking(course)
    assert result.project is None and result.rows == []
    with pytest.raises(RankingError, match="não tem projeto final"):
        finalists_confirm(course=course, by=None)


# -- the tie-breaks ------------------------------------------------------------------------------


def test_the_higher_selection_score_comes_first(course, project, notebooks):
    low, high = student(course, "ana"), student(course, "bia")
    graded(project, low, 70)
    graded(notebooks[0], low, 10, 10)  # 72.00
    graded(project, high, 71)
    graded(notebooks[0], high, 10, 10)
    graded(notebooks[1], high, 1, 10)  # 71 + 2.00 + 0.20 = 73.20
    assert order(course) == ["bia", "ana"]
    assert [row.tie_break for row in course_ranking(course).rows] == ["", ""]


def test_a_tie_goes_to_the_higher_project_score(course, project, notebooks):
    bonus_heavy, project_heavy = student(course, "ana"), student(course, "bia")
    graded(project, bonus_heavy, 88)
    graded(notebooks[0], bonus_heavy, 10, 10)  # 88 + 2 = 90
    graded(project, project_heavy, 90)  # 90 + 0 = 90
    rows = course_ranking(course).rows
    assert [r.student.username for r in rows] == ["bia", "ana"]
    assert rows[0].selection_score == rows[1].selection_score == Decimal(90)
    assert rows[1].tie_break == "project"
    assert rows[1].tie_break_label == "maior nota do projeto final"


def test_the_bonus_rule_never_decides_alone(course, project, notebooks):
    """Same selection and project scores mean the same bonus: the next rule decides."""
    first, second = student(course, "zeca"), student(course, "ana")
    for user, day in ((first, 3), (second, 2)):
        graded(project, user, 80, submitted_at=NOW - day * DAY)
        graded(notebooks[0], user, 5, 10)
    rows = course_ranking(course).rows
    assert rows[0].notebook_bonus == rows[1].notebook_bonus
    assert [r.student.username for r in rows] == ["zeca", "ana"]
    assert rows[1].tie_break == "submitted"


def test_a_tie_on_every_score_goes_to_the_earlier_project_submission(course, project):
    late, early = student(course, "ana"), student(course, "bia")
    graded(project, late, 75, submitted_at=NOW - DAY)
    graded(project, early, 75, submitted_at=NOW - 2 * DAY)
    rows = course_ranking(course).rows
    assert [r.student.username for r in rows] == ["bia", "ana"]
    assert rows[1].tie_break == "submitted"


def test_the_submission_that_counts_is_the_latest_graded_attempt(course, project):
    resubmitted, once = student(course, "ana"), student(course, "bia")
    graded(project, resubmitted, 75, submitted_at=NOW - 5 * DAY)
    graded(project, resubmitted, 75, submitted_at=NOW - DAY)
    graded(project, once, 75, submitted_at=NOW - 2 * DAY)
    assert order(course) == ["bia", "ana"]


def test_a_complete_tie_goes_to_the_name_and_stays_stable(course, project):
    when = NOW - DAY
    for username, name in (("u1", "Zuleica"), ("u2", "álvaro"), ("u3", "Bruna")):
        graded(project, student(course, username, name), 75, submitted_at=when)
    rows = course_ranking(course).rows
    assert [r.name for r in rows] == ["álvaro", "Bruna", "Zuleica"]
    assert [r.tie_break for r in rows] == ["", "name", "name"]
    assert [r.position for r in rows] == [1, 2, 3]
    assert order(course) == order(course)


def test_the_page_shows_every_component_and_the_tie_break(
    client, bruno, course, project, notebooks
):
    ana, bia = student(course, "ana", "Ana Souza"), student(course, "bia", "Bia Lima")
    graded(project, ana, 88)
    graded(notebooks[0], ana, 10, 10)
    graded(project, bia, 90)
    client.force_login(bruno)
    html = client.get(page_url(course)).content.decode()
    ana_row = html[html.index('data-student="ana@example.edu"') :]
    ana_row = ana_row[: ana_row.index("</tr>")]
    cells = re.findall(r'<td class="num" data-([a-z-]+)>(?:<strong>)?([\d,]+)', ana_row)
    assert cells == [
        ("project", "88,00"),
        ("bonus", "2,00"),
        ("bonus", "0,00"),
        ("bonus-total", "2,00"),
        ("selection", "90,00"),
    ]
    assert 'data-tie-break="project"' in ana_row
    assert "Empate com o 1º: maior nota do projeto final" in ana_row
    for rule in (
        "Maior nota de seleção",
        "Maior nota do projeto final",
        "Mais pontos dos notebooks",
        "Entrega do projeto final mais cedo",
        "Ordem alfabética do nome",
    ):
        assert f"<li>{rule}</li>" in html
    assert html.index("Bia Lima") < html.index("Ana Souza")


# -- who may see it ------------------------------------------------------------------------------


def test_students_get_a_404_on_every_ranking_route_even_after_the_winner(
    client, course, project, podium, alice, bruno
):
    project.release_mode = Assignment.ReleaseMode.MANUAL
    project.save()
    graded(project, alice, 99)
    finalists = finalists_confirm(course=course, by=bruno)
    finalist_presentation_set(finalist=finalists[0], presented_at=NOW - DAY, notes="", by=bruno)
    finalist_winner_set(finalist=finalists[0], by=bruno)
    client.force_login(alice)
    assert client.get(page_url(course)).status_code == 404
    assert client.post(confirm_url(course), {"reset": "1"}).status_code == 404
    assert (
        client.post(
            presentation_url(finalists[1]), {f"f{finalists[1].pk}-presented_at": "2026-12-01T19:00"}
        ).status_code
        == 404
    )
    assert client.post(winner_url(finalists[1]), {"replace": "1"}).status_code == 404
    assert Finalist.objects.get(is_winner=True).pk == finalists[0].pk


def test_an_outsider_and_another_courses_instructor_get_a_404(client, course, podium, charlie):
    other = CourseFactory(slug="outro")
    teacher = UserFactory(username="teo")
    EnrollmentFactory(course=other, user=teacher, role=Enrollment.Role.INSTRUCTOR)
    for user in (charlie, teacher):
        client.force_login(user)
        assert client.get(page_url(course)).status_code == 404
        assert client.post(confirm_url(course)).status_code == 404
    assert not Finalist.objects.exists()


def test_an_admin_sees_the_ranking_with_unreleased_grades(client, carla, course, project, podium):
    project.release_mode = Assignment.ReleaseMode.MANUAL
    project.save()
    client.force_login(carla)
    response = client.get(page_url(course))
    assert response.status_code == 200
    assert [row.student.username for row in response.context["ranking"].rows] == [
        "dora",
        "edu",
        "fabi",
        "gil",
    ]


def test_a_finalist_id_of_another_course_is_a_404(client, bruno, course, podium):
    other = CourseFactory(slug="outro")
    stranger = Finalist.objects.create(
        course=other,
        student=podium["gil"],
        position=1,
        project_score=1,
        notebook_bonus=0,
        selection_score=1,
    )
    client.force_login(bruno)
    assert client.post(winner_url(stranger).replace("/outro/", "/mle/")).status_code == 404
    assert client.post(presentation_url(stranger).replace("/outro/", "/mle/")).status_code == 404


# -- confirming the finalists -------------------------------------------------------------------


def test_confirming_freezes_the_top_three_and_their_components(
    course, project, notebooks, podium, bruno
):
    graded(notebooks[0], podium["fabi"], 5, 10)  # 70 + 1.00
    finalists = finalists_confirm(
        course=course, by=bruno, expected=[podium[n].pk for n in ("dora", "edu", "fabi")]
    )
    assert [
        (f.position, f.student.username, f.project_score, f.notebook_bonus, f.selection_score)
        for f in finalists
    ] == [
        (1, "dora", Decimal(90), Decimal(0), Decimal(90)),
        (2, "edu", Decimal(80), Decimal(0), Decimal(80)),
        (3, "fabi", Decimal(70), Decimal(1), Decimal(71)),
    ]
    assert all(f.confirmed_by == bruno for f in finalists)
    # A later regrade changes the live ranking, not what was confirmed.
    graded(project, podium["gil"], 100)
    result = course_ranking(course)
    assert result.rows[0].student.username == "gil"
    assert not result.confirmed_matches
    assert Finalist.objects.get(student=podium["dora"]).selection_score == Decimal(90)


def test_confirming_with_fewer_than_three_projects_confirms_those(course, project, alice, bruno):
    graded(project, alice, 40)
    assert [f.student for f in finalists_confirm(course=course, by=bruno)] == [alice]


def test_confirming_is_refused_when_the_ranking_changed_since_the_page(
    course, project, podium, bruno
):
    seen = [podium[n].pk for n in ("dora", "edu", "fabi")]
    graded(project, podium["gil"], 85)
    with pytest.raises(RankingError, match="A classificação mudou"):
        finalists_confirm(course=course, by=bruno, expected=seen)
    assert not Finalist.objects.exists()


def test_confirming_is_refused_while_a_project_waits_for_manual_points(
    course, project, podium, bruno
):
    graded(project, student(course, "hugo", "Hugo Pendente"), 20, pending=True)
    with pytest.raises(
        RankingError,
        match="1 projeto ainda tem critérios sem nota "
        r"\(Hugo Pendente\)",
    ):
        finalists_confirm(course=course, by=bruno)
    assert not Finalist.objects.exists()


def test_confirming_without_any_graded_project_is_refused(course, project, alice, bruno):
    with pytest.raises(RankingError, match="Nenhum projeto final foi corrigido"):
        finalists_confirm(course=course, by=bruno)


def test_a_reconfirmation_replaces_the_finalists_and_keeps_a_recorded_presentation(
    course, project, podium, bruno
):
    first = finalists_confirm(course=course, by=bruno)
    when = NOW - DAY
    finalist_presentation_set(finalist=first[1], presented_at=when, notes="Ótima demo.", by=bruno)
    graded(project, podium["gil"], 95)  # gil overtakes everyone; fabi drops out
    again = finalists_confirm(course=course, by=bruno)
    assert [(f.position, f.student.username) for f in again] == [
        (1, "gil"),
        (2, "dora"),
        (3, "edu"),
    ]
    assert Finalist.objects.count() == 3
    edu = Finalist.objects.get(student=podium["edu"])
    assert (edu.presented_at, edu.presentation_notes) == (when, "Ótima demo.")
    assert Finalist.objects.get(student=podium["gil"]).presented_at is None


def test_a_reconfirmation_after_the_winner_needs_an_explicit_reset(course, project, podium, bruno):
    finalists = finalists_confirm(course=course, by=bruno)
    finalist_presentation_set(finalist=finalists[0], presented_at=NOW - DAY, notes="", by=bruno)
    finalist_winner_set(finalist=finalists[0], by=bruno)
    with pytest.raises(RankingError, match="O vencedor \\(Dora\\) já foi registrado"):
        finalists_confirm(course=course, by=bruno)
    assert Finalist.objects.get(is_winner=True).student == podium["dora"]
    again = finalists_confirm(course=course, by=bruno, reset=True)
    assert len(again) == 3
    assert not Finalist.objects.filter(is_winner=True).exists()


def test_the_confirm_form_confirms_and_reports_in_portuguese(
    client, course, project, podium, bruno
):
    client.force_login(bruno)
    expected = [str(podium[n].pk) for n in ("dora", "edu", "fabi")]
    response = client.post(confirm_url(course), {"expected": expected}, follow=True)
    assert "3 finalistas confirmados." in response.content.decode()
    assert Finalist.objects.count() == 3
    response = client.post(confirm_url(course), {"expected": ["x"]}, follow=True)
    assert "A classificação mudou" in response.content.decode()


# -- presentations -------------------------------------------------------------------------------


def test_a_presentation_is_recorded_from_the_page(client, course, project, podium, bruno):
    finalist = finalists_confirm(course=course, by=bruno)[0]
    client.force_login(bruno)
    prefix = f"f{finalist.pk}-"
    response = client.post(
        presentation_url(finalist),
        {prefix + "presented_at": "2026-12-01T19:30", prefix + "notes": "  Boa defesa do CI.  "},
    )
    assert response.status_code == 302
    finalist.refresh_from_db()
    local = timezone.localtime(finalist.presented_at)
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2026, 12, 1, 19, 30)
    assert finalist.presentation_notes == "Boa defesa do CI."


def test_a_presentation_without_a_date_is_refused_with_the_form_kept(
    client, course, project, podium, bruno
):
    finalist = finalists_confirm(course=course, by=bruno)[0]
    client.force_login(bruno)
    prefix = f"f{finalist.pk}-"
    response = client.post(presentation_url(finalist), {prefix + "notes": "Rascunho da banca"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Informe a data e a hora da apresentação." in html
    assert "Rascunho da banca" in html
    finalist.refresh_from_db()
    assert finalist.presented_at is None


def test_the_service_refuses_a_missing_or_naive_date(course, project, podium, bruno):
    finalist = finalists_confirm(course=course, by=bruno)[0]
    with pytest.raises(RankingError, match="Informe a data"):
        finalist_presentation_set(finalist=finalist, presented_at=None, notes="", by=bruno)
    with pytest.raises(RankingError, match="fuso horário"):
        finalist_presentation_set(
            finalist=finalist, presented_at=dt.datetime(2026, 12, 1, 19), notes="", by=bruno
        )


# -- the winner ----------------------------------------------------------------------------------


def test_the_winner_needs_a_presentation_that_already_happened(course, project, podium, bruno):
    finalist = finalists_confirm(course=course, by=bruno)[2]
    with pytest.raises(RankingError, match="Registre a apresentação de Fabi"):
        finalist_winner_set(finalist=finalist, by=bruno)
    finalist_presentation_set(finalist=finalist, presented_at=NOW + DAY, notes="", by=bruno)
    with pytest.raises(RankingError, match="ainda não aconteceu"):
        finalist_winner_set(finalist=finalist, by=bruno)
    assert finalist_winner_set(finalist=finalist, by=bruno, now=NOW + 2 * DAY).is_winner


def test_there_is_one_winner_and_changing_it_must_be_explicit(
    client, course, project, podium, bruno
):
    finalists = finalists_confirm(course=course, by=bruno)
    for finalist in finalists:
        finalist_presentation_set(finalist=finalist, presented_at=NOW - DAY, notes="", by=bruno)
    client.force_login(bruno)
    response = client.post(winner_url(finalists[1]), follow=True)
    assert "Edu registrado como vencedor." in response.content.decode()
    response = client.post(winner_url(finalists[0]), follow=True)
    assert "Edu já foi registrado como vencedor." in response.content.decode()
    assert list(Finalist.objects.filter(is_winner=True).values_list("pk", flat=True)) == [
        finalists[1].pk
    ]
    client.post(winner_url(finalists[0]), {"replace": "1"})
    assert list(Finalist.objects.filter(is_winner=True).values_list("pk", flat=True)) == [
        finalists[0].pk
    ]
    # The same winner again changes nothing.
    assert finalist_winner_set(finalist=finalists[0], by=bruno).is_winner


def test_the_database_refuses_a_second_winner(course, project, podium, bruno):
    first, second, _third = finalists_confirm(course=course, by=bruno)
    Finalist.objects.filter(pk=first.pk).update(is_winner=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Finalist.objects.filter(pk=second.pk).update(is_winner=True)


def test_the_page_marks_finalists_and_the_winner(client, course, project, podium, bruno):
    finalists = finalists_confirm(course=course, by=bruno)
    finalist_presentation_set(finalist=finalists[0], presented_at=NOW - DAY, notes="", by=bruno)
    finalist_winner_set(finalist=finalists[0], by=bruno)
    client.force_login(bruno)
    html = client.get(page_url(course)).content.decode()
    assert html.count("data-winner") == 1
    assert html.count("data-finalist>") == 2
    assert 'name="reset"' in html and 'name="replace"' in html


# -- at course scale -----------------------------------------------------------------------------


def _class_of(course, project, notebooks, size: int, start: int) -> None:
    for n in range(start, start + size):
        user = student(course, f"aluno{n:03d}")
        graded(project, user, 40 + n % 50)
        for notebook in notebooks:
            graded(notebook, user, n % 11, 10)


def test_the_page_needs_the_same_few_queries_for_5_or_50_students(
    client, course, project, bruno, django_assert_max_num_queries
):
    notebooks = [
        AssignmentFactory(course=course, slug=f"nb-{n}", order=n, finalist_bonus=Decimal(2))
        for n in range(5)
    ]
    client.force_login(bruno)
    _class_of(course, project, notebooks, 5, 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(page_url(course)).status_code == 200
    _class_of(course, project, notebooks, 45, 5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(page_url(course))
    assert len(response.context["ranking"].rows) == 50
    with django_assert_max_num_queries(60):
        client.get(page_url(course))
