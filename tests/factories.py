from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from portal.accounts.models import User
from portal.courses.models import ClassSession, Course, Enrollment, Material, Week


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu")
    full_name = factory.LazyAttribute(lambda u: u.username.title())


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = "Machine Learning Engineering"
    summary = "Um curso de teste."
    start_date = factory.LazyFunction(lambda: timezone.localdate())


class WeekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Week

    course = factory.SubFactory(CourseFactory)
    number = factory.Sequence(lambda n: n + 1)
    slug = factory.LazyAttribute(lambda w: f"semana-{w.number}")
    title = factory.LazyAttribute(lambda w: f"Semana {w.number}")
    summary = "Resumo da semana."
    theory_md = "## Teoria\n\nConteúdo da aula teórica."
    practice_md = "## Prática\n\nConteúdo da aula prática."
    publish_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    week = factory.SubFactory(WeekFactory)
    title = "Documentação"
    kind = Material.Kind.LINK
    url = "https://mlflow.org/docs/latest/"


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    week = factory.SubFactory(WeekFactory)
    kind = ClassSession.Kind.THEORY
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    course = factory.SubFactory(CourseFactory)
    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda e: e.user.email if e.user else "someone@example.edu")
    full_name = factory.LazyAttribute(lambda e: e.user.full_name if e.user else "")
    role = Enrollment.Role.STUDENT


# -- grading (portal/grading): string model references keep this block self-contained --------


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assessments.Assignment"
        django_get_or_create = ("course", "slug")

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"notebook-{n}")
    title = factory.LazyAttribute(lambda a: f"Notebook {a.slug}")
    source_notebook = "assignments/source/fonte.ipynb"
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "submissions.Submission"

    assignment = factory.SubFactory(AssignmentFactory)
    student = factory.SubFactory(UserFactory)
    attempt = factory.Sequence(lambda n: n + 1)
    file = "submissions/entrega.ipynb"
    original_name = "entrega.ipynb"
    size_bytes = 1000
    sha256 = "0" * 64
    submitted_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assessments.Criterion"

    assignment = factory.SubFactory(AssignmentFactory)
    key = factory.Sequence(lambda n: f"criterio-{n}")
    title = factory.LazyAttribute(lambda c: c.key)
    max_points = 1
    grade_ids = factory.LazyAttribute(lambda c: [c.key])
    manual = False
    order = factory.Sequence(lambda n: n)
