"""Alice makes an API token on her profile page, her script uses it, she revokes it and the
script is refused; the API's reference page loads from the portal itself, under its CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.courses.models import Enrollment
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.browser

ALICE = {"oid": "a1000000-0000-4000-8000-0000000000a1", "name": "Alice Aluna",
         "email": "alice@example.edu"}  # fmt: skip


def test_alice_creates_uses_and_revokes_a_token(new_page, sign_in, live_server, course):
    EnrollmentFactory(
        course=course, user=None, email=ALICE["email"], full_name=ALICE["name"],
        role=Enrollment.Role.STUDENT,
    )  # fmt: skip
    page = new_page()
    sign_in(page, **ALICE)
    page.get_by_title("Seu perfil e tokens da API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seu perfil")
    expect(page.get_by_text("Você ainda não tem tokens.")).to_be_visible()

    page.get_by_label("Nome").fill("notebook de casa")
    page.get_by_label("read").uncheck()  # no permission at all: the page says what to do
    page.get_by_role("button", name="Criar token").click()
    expect(page.get_by_role("alert")).to_have_text("Escolha pelo menos uma permissão para o token.")

    page.get_by_label("read").check()
    page.get_by_label("submit").check()
    page.get_by_role("button", name="Criar token").click()
    expect(page.get_by_text("Copie-o agora: ele não será mostrado de novo.")).to_be_visible()
    secret = page.get_by_label("Seu token").input_value()
    assert secret.startswith("mle_")

    script = page.context.request  # a script: no cookies needed, the token is the credential
    me = script.get(live_server.url + "/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["courses"][0]["slug"] == course.slug

    page.reload()
    row = page.locator("tr", has_text="notebook de casa")
    expect(row).to_contain_text("read")
    expect(row).not_to_contain_text("nunca usado")  # the script's call is its last use
    expect(page.get_by_label("Seu token")).to_have_count(0)  # shown once only

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revogar").click()
    expect(page.get_by_text("Token revogado: ele deixa de funcionar agora.")).to_be_visible()
    refused = script.get(
        live_server.url + "/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status == 401 and refused.json()["error"]["id"] == "token.invalid"


def test_the_api_reference_loads_from_our_origin_under_the_csp(new_page, live_server, db):
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: problems.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto("/api/docs/")
    expect(page.get_by_role("heading", name="MLE course portal API")).to_be_visible()
    expect(page.get_by_text("/api/v1/me/").first).to_be_visible()
    assert problems == []
