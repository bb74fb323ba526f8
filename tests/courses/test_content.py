from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from portal.courses.content import ContentError, load_course
from tests.courses.course_dir import COURSE_YAML, FILES, write_course

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")


def test_it_reads_weeks_pages_materials_and_default_sessions(tmp_path):
    spec = load_course(write_course(tmp_path))

    assert spec.slug == "demo"
    assert [w.number for w in spec.weeks] == [1, 2]
    week1 = spec.weeks[0]
    assert week1.theory_md.startswith("## MLOps")
    assert week1.practice_md.startswith("## Ambiente")
    # Default publication: three days before the week starts, at 08:00 local time.
    assert week1.publish_at == dt.datetime(2030, 3, 1, 8, 0, tzinfo=SAO_PAULO)
    # Default sessions: Monday theory and Thursday practice of the week, from `schedule`.
    assert [(s.kind, s.starts_at, s.duration_minutes) for s in week1.sessions] == [
        ("theory", dt.datetime(2030, 3, 4, 19, 0, tzinfo=SAO_PAULO), 105),
        ("practice", dt.datetime(2030, 3, 7, 19, 0, tzinfo=SAO_PAULO), 90),
    ]
    assert [m.kind for m in week1.materials] == ["link", "file"]
    assert len(week1.materials[1].sha256) == 64
    assert spec.pages[0].title == "Avaliação"


def test_explicit_sessions_and_publish_time_replace_the_defaults(tmp_path):
    week2 = load_course(write_course(tmp_path)).weeks[1]

    assert week2.publish_at == dt.datetime(2030, 3, 8, 8, 0, tzinfo=SAO_PAULO)
    assert len(week2.sessions) == 1
    assert week2.sessions[0].teams_url.startswith("https://teams.microsoft.com/")
    assert week2.sessions[0].duration_minutes == 105  # from the schedule of its kind
    assert week2.practice_md == ""


def _error_for(tmp_path, yaml_text: str, files: dict | None = None) -> ContentError:
    root = write_course(tmp_path, yaml_text, files)
    with pytest.raises(ContentError) as caught:
        load_course(root)
    return caught.value


def test_invalid_yaml_names_the_file_and_line(tmp_path):
    broken = COURSE_YAML.replace("title: Dados", "title: [Dados")
    error = _error_for(tmp_path, broken)

    assert error.path.name == "course.yaml"
    # PyYAML reports where it noticed the problem: the broken line or the next one.
    broken_line = broken.splitlines().index("    title: [Dados") + 1
    assert error.line in (broken_line, broken_line + 1)
    assert "invalid YAML" in str(error)
    assert str(error).startswith(f"{tmp_path / 'course.yaml'}:{error.line}:")


def test_a_missing_markdown_file_names_the_line_that_refers_to_it(tmp_path):
    files = {k: v for k, v in FILES.items() if k != "weeks/02/teoria.md"}
    error = _error_for(tmp_path, COURSE_YAML, files)

    line = COURSE_YAML.splitlines().index("    theory: weeks/02/teoria.md") + 1
    assert error.line == line
    assert "weeks[1].theory" in error.message
    assert "not found" in error.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("summary: Primeira semana.", "sumary: Primeira semana."), "unknown key 'sumary'"),
        (("slug: intro", "slug: Intro Week"), "is not a slug"),
        (("number: 2", "number: 1"), "week number '1' appears twice"),
        (("timezone: America/Sao_Paulo", "timezone: Mars/Olympus"), "not an IANA time zone"),
        (("kind: link", "kind: video"), "must be one of: link, file"),
        (("url: https://mlflow.org/docs/latest/", "url: ftp://mlflow.org/"), "not an http(s) URL"),
        (("file: weeks/01/checklist.md", "file: ../../etc/passwd"), "outside the course folder"),
        (("starts_at: 2030-03-11T19:30", "starts_at: amanhã"), "is not a date-time"),
        (("start_date: 2030-03-04", "start_date: março"), "is not a date"),
        (
            ('time: "19:00", duration_minutes: 105', 'time: "7pm", duration_minutes: 105'),
            "is not a time",
        ),
    ],
)
def test_schema_errors_say_what_is_wrong(tmp_path, change, expected):
    old, new = change
    assert old in COURSE_YAML
    error = _error_for(tmp_path, COURSE_YAML.replace(old, new, 1))

    assert expected in error.message
    assert error.line is not None


def test_a_missing_course_yaml_is_reported(tmp_path):
    with pytest.raises(ContentError, match=r"course\.yaml not found"):
        load_course(tmp_path)


def test_markdown_that_is_not_utf8_is_reported(tmp_path):
    root = write_course(tmp_path)
    (root / "weeks/01/teoria.md").write_bytes(b"Aula te\xf3rica")
    with pytest.raises(ContentError, match="not valid UTF-8"):
        load_course(root)


def test_the_real_course_content_is_valid():
    from django.conf import settings

    spec = load_course(settings.COURSE_CONTENT_DIR)

    assert [w.number for w in spec.weeks] == list(range(1, 9))
    assert all(len(w.theory_md.split()) > 500 for w in spec.weeks), "theory pages are real pages"
    assert {p.slug for p in spec.pages} >= {"avaliacao", "projeto-final", "observacoes"}
    assert all(len(w.sessions) == 2 for w in spec.weeks)
