from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.courses.models import Enrollment
from portal.courses.roster import roster_parse
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("courses:roster_import", args=["mle"])


def upload(client, content: bytes, name: str = "turma.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, "text/csv")})


def test_an_instructor_imports_a_semicolon_roster_from_excel(client, bruno):
    client.force_login(bruno)
    roster = (
        "email;nome;papel\r\nana@uni.edu;Ana Souza;aluno\r\nDIEGO@uni.edu;Diego;\r\n"
        "paula@uni.edu;Paula Prof;instrutora\r\n"
    )

    response = upload(client, roster.encode("cp1252"))

    assert response.status_code == 302
    rows = {e.email: e for e in Enrollment.objects.filter(course__slug="mle")}
    assert rows["ana@uni.edu"].full_name == "Ana Souza"
    assert rows["diego@uni.edu"].role == Enrollment.Role.STUDENT  # lower-cased, default role
    assert rows["paula@uni.edu"].role == Enrollment.Role.INSTRUCTOR
    page = client.get(reverse("courses:manage", args=["mle"])).content.decode()
    assert "3 novas, 0 atualizadas, 0 sem mudança" in page
    assert "Aguardando primeiro acesso" in page


def test_a_second_import_updates_roles_and_keeps_people_missing_from_the_file(client, bruno):
    client.force_login(bruno)
    upload(client, b"email,name,role\nana@uni.edu,Ana,student\nbia@uni.edu,Bia,student\n")

    upload(client, "\ufeffe-mail,nome,papel\nana@uni.edu,Ana,instrutor\n".encode())

    rows = {e.email: e.role for e in Enrollment.objects.filter(course__slug="mle")}
    assert rows["ana@uni.edu"] == Enrollment.Role.INSTRUCTOR
    assert rows["bia@uni.edu"] == Enrollment.Role.STUDENT


def test_a_roster_row_links_a_person_who_already_signed_in(client, bruno):
    early = UserFactory(username="early", email="Early@Uni.edu")
    client.force_login(bruno)

    upload(client, b"email\nearly@uni.edu\n")

    assert Enrollment.objects.get(email="early@uni.edu").user == early


def test_a_roster_with_bad_rows_reports_every_row_and_imports_nothing(client, bruno):
    client.force_login(bruno)
    before = Enrollment.objects.count()
    roster = (
        "email;nome;papel\n"
        "ok@uni.edu;Ok;aluno\n"
        "not-an-email;Sem arroba;aluno\n"
        "ok@uni.edu;Repetido;aluno\n"
        "x@uni.edu;X;monitor\n"
    )

    response = upload(client, roster.encode())

    body = response.content.decode()
    assert response.status_code == 400
    assert "O arquivo tem 3 problemas; nada foi importado." in body
    assert "Linha 3: e-mail inválido &#x27;not-an-email&#x27;." in body
    assert "Linha 4: e-mail ok@uni.edu repetido (já está na linha 2)." in body
    assert "Linha 5: papel desconhecido &#x27;monitor&#x27;" in body
    assert Enrollment.objects.count() == before


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "turma.csv", "está vazio"),
        (b"email\n", "turma.csv", "não tem nenhuma linha de aluno"),
        (b"nome;papel\nAna;aluno\n", "turma.csv", "falta a coluna de e-mail"),
        (b"email;turma\na@uni.edu;A\n", "turma.csv", "coluna desconhecida"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "turma.csv", "não é um CSV de texto"),
        (b"email\na@uni.edu\n", "turma.xlsx", "Envie um arquivo .csv"),
    ],
)
def test_unusable_files_get_a_clear_message_and_nothing_is_stored(
    client, bruno, content, name, message
):
    client.force_login(bruno)
    before = Enrollment.objects.count()

    response = upload(client, content, name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Enrollment.objects.count() == before


def test_a_roster_over_the_size_limit_is_refused(client, bruno, settings):
    settings.ROSTER_MAX_BYTES = 2048
    client.force_login(bruno)
    big = b"email\n" + b"".join(f"p{i}@uni.edu\n".encode() for i in range(500))

    response = upload(client, big)

    assert response.status_code == 400
    assert "O arquivo passa do limite de 2 KB" in response.content.decode()
    assert not Enrollment.objects.filter(email="p1@uni.edu").exists()


def test_an_import_without_a_file_shows_the_form_error(client, bruno):
    client.force_login(bruno)

    response = client.post(URL, {})

    assert response.status_code == 400
    assert "Escolha o arquivo CSV da turma." in response.content.decode()


def test_parse_ignores_blank_lines_and_reports_real_line_numbers():
    parsed = roster_parse(b"email\n\na@uni.edu\n\nbad\n", max_bytes=10_000)

    assert [row.line for row in parsed.rows] == [3]
    assert parsed.errors == ["Linha 5: e-mail inválido 'bad'."]
