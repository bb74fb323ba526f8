from __future__ import annotations

import pytest
from django.urls import reverse

from portal.accounts.models import User
from tests.factories import UserFactory

OID = "0b0b0b0b-0000-4000-8000-0000000000b0"
TENANT = "8f0e2c1a-5b7d-4e43-9a6c-1d2e3f4a5b6c"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def ana(db):
    return UserFactory(
        username="entra-ana",
        full_name="Ana Pereira",
        is_portal_admin=True,
        entra_tenant_id=TENANT,
        entra_object_id=OID,
    )


def test_the_admin_finds_a_user_by_object_id_and_shows_admin_and_tenant(
    client, superuser, ana, charlie
):
    client.force_login(superuser)

    response = client.get(reverse("admin:accounts_user_changelist"), {"q": OID})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [ana]
    body = response.content.decode()
    assert TENANT in body
    assert 'class="field-is_portal_admin"><img src="/static/admin/img/icon-yes.svg"' in body


def test_the_admin_shows_the_entra_identity_read_only(client, superuser, ana):
    client.force_login(superuser)

    response = client.get(reverse("admin:accounts_user_change", args=[ana.pk]))

    form = response.context["adminform"].form
    assert "is_portal_admin" in form.fields
    assert "entra_object_id" not in form.fields  # shown, not editable
    assert OID in response.content.decode()


def test_the_admin_can_add_a_portal_admin(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "dora",
            "full_name": "Dora Docente",
            "email": "dora@example.edu",
            "is_portal_admin": "on",
            "usable_password": "false",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    dora = User.objects.get(username="dora")
    assert (dora.full_name, dora.is_admin, dora.has_usable_password()) == (
        "Dora Docente",
        True,
        False,
    )


def test_people_who_are_not_staff_cannot_open_the_user_admin(client, carla):
    client.force_login(carla)  # a portal admin, but not Django staff

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
