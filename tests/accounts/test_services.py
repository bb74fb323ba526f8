from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.accounts.services import role_from_app_roles

ROLE_MAP = {"Portal.Admin": "admin", "Portal.Instructor": "instructor", "Portal.Student": "student"}


@pytest.mark.parametrize(
    ("app_roles", "expected"),
    [
        (["Portal.Student"], Role.STUDENT),
        (["Portal.Instructor", "Portal.Student"], Role.INSTRUCTOR),
        (["Portal.Student", "Portal.Admin"], Role.ADMIN),
        (["Portal.Admin", "Portal.Instructor"], Role.ADMIN),
        (["Other.App.Role"], None),
        ([], None),
        (["portal.admin"], None),  # app role values are case-sensitive in Entra
    ],
)
def test_the_highest_mapped_app_role_wins(app_roles, expected):
    assert role_from_app_roles(app_roles, ROLE_MAP) == expected


def test_a_map_entry_pointing_at_an_unknown_portal_role_is_ignored():
    assert role_from_app_roles(["Portal.Owner"], {"Portal.Owner": "owner"}) is None
