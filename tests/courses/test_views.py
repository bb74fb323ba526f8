from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.courses.models import Enrollment, Material, Week
from tests.factories import ClassSessionFactory, MaterialFactory, WeekFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(course):
    return WeekFactory(course=course, number=1, title="Apresentação do curso",
                       theory_md="## MLOps\n\nTexto publicado.")


@pytest.fixture
def unpublished(course):
    return WeekFactory(course=course, number=2, title="Dados secretos", publish_at=None,
                       theory_md="## Segredo\n\nConteúdo ainda não liberado.")


@pytest.fixture
def scheduled(course):
    return WeekFactory(course=course, number=3, title="Modelagem futura",
                       publish_at=timezone.now() + dt.timedelta(days=3))


def week_url(week: Week) -> str:
    return reverse("classroom:week", args=[week.course.slug, week.number])


def manage_url(course) -> str:
    return reverse("courses:manage", args=[course.slug])


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


# --- Instructor pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "courses:manage", []),
        ("post", "courses:week_publication", [1]),
        ("post", "courses:roster_import", []),
    ],
)
def test_a_student_can_never_reach_instructor_pages(client, alice, published, method, name,
                                                    extra):
    client.force_login(alice)
    url = reverse(name, args=["mle", *extra])

    response = getattr(client, method)(url, {"action": "unpublish"})

    assert response.status_code == 403
    published.refresh_from_db()
    assert published.is_published()


def test_an_instructor_of_another_course_cannot_manage_this_one(client, published):
    from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

    other = UserFactory(username="olga")
    EnrollmentFactory(course=CourseFactory(slug="other"), user=other,
                      role=Enrollment.Role.INSTRUCTOR)
    client.force_login(other)

    assert client.get(manage_url(published.course)).status_code == 404


def test_students_do_not_see_the_management_link(client, alice, bruno, published):
    client.force_login(alice)
    assert manage_url(published.course) not in client.get("/").content.decode()
    client.force_login(bruno)
    assert manage_url(published.course) in client.get("/").content.decode()


def test_an_instructor_publishes_a_week_and_the_student_then_sees_it(
    client, alice, bruno, unpublished
):
    client.force_login(bruno)
    response = client.post(
        reverse("courses:week_publication", args=["mle", unpublished.number]),
        {"action": "publish"}, follow=True,
    )
    assert "Semana 2 publicada" in response.content.decode()

    client.force_login(alice)
    assert client.get(week_url(unpublished)).status_code == 200
    assert week_url(unpublished) in client.get("/").content.decode()


def test_an_instructor_unpublishes_a_week(client, alice, bruno, published):
    client.force_login(bruno)
    client.post(reverse("courses:week_publication", args=["mle", 1]), {"action": "unpublish"})

    published.refresh_from_db()
    assert published.publish_at is None
    client.force_login(alice)
    assert client.get(week_url(published)).status_code == 404


def test_an_instructor_schedules_a_week_in_the_future(client, bruno, unpublished):
    client.force_login(bruno)
    when = timezone.localtime() + dt.timedelta(days=2)

    response = client.post(
        reverse("courses:week_publication", args=["mle", 2]),
        {"action": "schedule", "publish_at": when.strftime("%Y-%m-%dT%H:%M")}, follow=True,
    )

    unpublished.refresh_from_db()
    assert unpublished.publish_at is not None
    assert abs(unpublished.publish_at - when) < dt.timedelta(minutes=1)
    assert "agendada: publicação em" in response.content.decode()


@pytest.mark.parametrize(
    ("publish_at", "message"),
    [("", "Informe a data e a hora"), ("2001-01-01T10:00", "precisa estar no futuro"),
     ("amanhã", "Informe uma data/hora válida")],
)
def test_scheduling_with_a_bad_date_changes_nothing(client, bruno, unpublished, publish_at,
                                                    message):
    client.force_login(bruno)
    response = client.post(
        reverse("courses:week_publication", args=["mle", 2]),
        {"action": "schedule", "publish_at": publish_at}, follow=True,
    )

    unpublished.refresh_from_db()
    assert unpublished.publish_at is None
    assert message in response.content.decode()


def test_publication_requires_post(client, bruno, unpublished):
    client.force_login(bruno)

    response = client.get(reverse("courses:week_publication", args=["mle", 2]))

    assert response.status_code == 405


# --- Content rendering --------------------------------------------------------------


def test_week_markdown_is_rendered_and_sanitised(client, alice, course):
    week = WeekFactory(course=course, number=5, theory_md=(
        "## Deploy\n\n<script>alert('x')</script>\n\n"
        "[clique](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        "```python\nprint('ok')\n```\n"
    ))
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
    week = WeekFactory(course=course, number=6, theory_md="## Referências\n\nA.",
                       practice_md="## Referências\n\nB.")
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


def test_a_course_page_is_rendered_for_enrolled_people_only(client, alice, charlie, course):
    course.pages.create(slug="avaliacao", title="Avaliação", body_md="## Notas\n\nRegras.")
    url = reverse("courses:page", args=["mle", "avaliacao"])

    client.force_login(alice)
    assert "Regras." in client.get(url).content.decode()
    client.force_login(charlie)
    assert client.get(url).status_code == 404


# --- Material downloads -------------------------------------------------------------


@pytest.fixture
def file_material(settings, tmp_path, published, unpublished):
    settings.MEDIA_ROOT = tmp_path
    made = {}
    for week in (published, unpublished):
        material = Material(week=week, title=f"Arquivo {week.number}", kind="file")
        material.file.save(f"guia-{week.number}.md", ContentFile(b"# Guia\n"), save=True)
        made[week.number] = material
    return made


def test_a_student_downloads_material_of_a_published_week_only(client, alice, file_material):
    client.force_login(alice)

    ok = client.get(reverse("courses:material", args=["mle", file_material[1].pk]))
    hidden = client.get(reverse("courses:material", args=["mle", file_material[2].pk]))

    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == b"# Guia\n"
    assert "attachment" in ok["Content-Disposition"]
    assert hidden.status_code == 404


def test_the_language_switch_serves_english(client, alice, published):
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = client.get("/").content.decode()

    assert '<html lang="en">' in body
    assert "Weeks" in body


# --- Pages stay cheap as the course grows -----------------------------------------------


def test_the_dashboard_runs_a_bounded_number_of_queries(client, alice, course,
                                                       django_assert_max_num_queries):
    for number in range(1, 9):
        week = WeekFactory(course=course, number=number)
        ClassSessionFactory(week=week)
    client.force_login(alice)

    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_the_management_page_runs_a_bounded_number_of_queries(client, bruno, course,
                                                             django_assert_max_num_queries):
    from tests.factories import EnrollmentFactory

    for number in range(1, 9):
        WeekFactory(course=course, number=number)
    EnrollmentFactory.create_batch(60, course=course)
    client.force_login(bruno)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("courses:manage", args=["mle"]))
    assert response.status_code == 200
    assert response.content.decode().count("Já entrou") >= 60


def test_the_language_menu_names_each_language_in_itself(client, alice):
    client.force_login(alice)

    body = client.get("/").content.decode()

    assert ">English</option>" in body
    assert "Inglês" not in body
    assert ">Português Brasileiro</option>" in body


def test_pages_stay_in_portuguese_for_an_english_browser_until_the_switch_is_used(client, alice):
    client.force_login(alice)

    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="pt-br">' in body
    assert "Semanas" in body
