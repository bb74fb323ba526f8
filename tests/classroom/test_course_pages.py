from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.courses.models import Week
from tests.courses.urls import manage_url, week_url
from tests.factories import ClassSessionFactory, MaterialFactory, WeekFactory

pytestmark = pytest.mark.django_db


# --- Who may see a week -------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, published):
    response = client.get(week_url(published))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))


def test_a_student_reads_a_published_week(client, alice, published):
    client.force_login(alice)
    response = client.get(week_url(published))

    assert response.status_code == 200
    assert "Texto publicado." in response.content.decode()


@pytest.mark.parametrize("week_fixture", ["unpublished", "scheduled"])
def test_a_student_cannot_open_an_unpublished_week_by_url(client, alice, week_fixture, request):
    week = request.getfixturevalue(week_fixture)
    client.force_login(alice)

    response = client.get(week_url(week))

    assert response.status_code == 404
    assert week.title not in response.content.decode()


def test_the_dashboard_menu_hides_unpublished_weeks_from_students(
    client, alice, published, unpublished, scheduled
):
    client.force_login(alice)
    body = client.get(reverse("classroom:dashboard")).content.decode()

    assert "Apresentação do curso" in body
    assert week_url(published) in body
    for hidden in (unpublished, scheduled):
        assert hidden.title not in body
        assert week_url(hidden) not in body
    assert "Em breve" in body


def test_a_week_becomes_visible_at_its_publish_time(client, alice, scheduled):
    client.force_login(alice)
    assert client.get(week_url(scheduled)).status_code == 404

    Week.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - dt.timedelta(seconds=1))

    assert client.get(week_url(scheduled)).status_code == 200


def test_an_instructor_sees_every_week_with_its_state(client, bruno, published, unpublished):
    client.force_login(bruno)
    body = client.get(reverse("classroom:dashboard")).content.decode()

    assert "Dados secretos" in body
    assert "Rascunho" in body
    response = client.get(week_url(unpublished))
    assert response.status_code == 200
    assert "Os alunos não veem esta semana." in response.content.decode()


def test_an_outsider_cannot_see_the_course_at_all(client, charlie, published):
    client.force_login(charlie)

    assert client.get(week_url(published)).status_code == 404
    assert client.get(reverse("classroom:course", args=["mle"])).status_code == 404
    body = client.get(reverse("classroom:dashboard")).content.decode()
    assert "Apresentação do curso" not in body
    assert "Você ainda não está em nenhum curso" in body


def test_an_admin_sees_every_course(client, carla, unpublished):
    client.force_login(carla)

    assert client.get(week_url(unpublished)).status_code == 200
    assert client.get(manage_url(unpublished.course)).status_code == 200


def test_students_do_not_see_the_management_link(client, alice, bruno, published):
    client.force_login(alice)
    assert manage_url(published.course) not in client.get("/").content.decode()
    client.force_login(bruno)
    assert manage_url(published.course) in client.get("/").content.decode()


def test_week_markdown_is_rendered_and_sanitised(client, alice, course):
    week = WeekFactory(
        course=course,
        number=5,
        theory_md=(
            "## Deploy\n\n<script>alert('x')</script>\n\n"
            "[clique](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
            "```python\nprint('ok')\n```\n"
        ),
    )
    client.force_login(alice)

    body = client.get(week_url(week)).content.decode()

    assert '<h2 id="teoria-deploy">Deploy</h2>' in body
    assert 'href="#teoria-deploy"' in body
    assert '<code class="language-python">' in body
    assert "<script>alert" not in body
    assert "javascript:" not in body
    assert "onerror" not in body


def test_pages_are_served_with_a_strict_content_security_policy(client, alice, published):
    client.force_login(alice)
    csp = client.get(week_url(published))["Content-Security-Policy"]

    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_theory_and_practice_headings_get_distinct_anchors(client, alice, course):
    week = WeekFactory(
        course=course,
        number=6,
        theory_md="## Referências\n\nA.",
        practice_md="## Referências\n\nB.",
    )
    client.force_login(alice)

    body = client.get(week_url(week)).content.decode()

    assert 'id="teoria-referencias"' in body
    assert 'id="pratica-referencias"' in body


def test_the_dashboard_says_when_the_course_starts(client, alice, course, published):
    course.start_date = timezone.localdate() + dt.timedelta(days=30)
    course.save()
    client.force_login(alice)

    body = client.get("/").content.decode()

    assert f"Começa em {course.start_date:%d/%m/%Y}" in body
    assert "Semana 0 de" not in body


def test_the_week_page_lists_sessions_and_materials(client, alice, published):
    ClassSessionFactory(week=published, teams_url="https://teams.microsoft.com/l/meetup-join/x")
    MaterialFactory(week=published, title="Guia do MLflow")
    client.force_login(alice)

    body = client.get(week_url(published)).content.decode()

    assert "Guia do MLflow" in body
    assert "https://teams.microsoft.com/l/meetup-join/x" in body


def test_the_dashboard_runs_a_bounded_number_of_queries(
    client, alice, course, django_assert_max_num_queries
):
    for number in range(1, 9):
        week = WeekFactory(course=course, number=number)
        ClassSessionFactory(week=week)
    client.force_login(alice)

    # Constant whatever the number of weeks: the bell's unread count, the survey invitation,
    # her certificate and her attendance summary are one or two queries each.
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200
