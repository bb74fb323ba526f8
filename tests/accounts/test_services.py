from __future__ import annotations

import pytest

from portal.accounts.services import is_admin_from_app_roles

ADMIN_ROLES = ["Portal.Admin"]


@pytest.mark.parametrize(
    ("app_roles", "expected"),
    [
        (["Portal.Student"], False),
        (["Portal.Instructor", "Portal.Student"], False),
        (["Portal.Student", "Portal.Admin"], True),
        (["Portal.Admin", "Portal.Instructor"], True),
        (["Other.App.Role"], False),
        ([], False),
        (["portal.admin"], False),  # app role values are case-sensitive in Entra
    ],
)
def test_only_an_admin_app_role_makes_a_portal_admin(app_roles, expected):
    assert is_admin_from_app_roles(app_roles, ADMIN_ROLES) is expected


def test_no_app_role_makes_an_admin_when_none_is_configured():
    assert is_admin_from_app_roles(["Portal.Admin"], []) is False
