from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "full_name",
        "email",
        "is_portal_admin",
        "entra_tenant_id",
        "is_active",
        "is_staff",
        "last_login",
    )
    list_filter = ("is_portal_admin", "is_active", "is_staff", "is_superuser", "entra_tenant_id")
    search_fields = (
        "username",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "entra_object_id",
        "entra_tenant_id",
    )
    ordering = ("full_name", "username")
    # The Microsoft identity is what sign-in matches on; editing it by hand would
    # hand this account to someone else, so it is shown but never edited here.
    readonly_fields = ("entra_tenant_id", "entra_object_id", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Portal"), {"fields": ("full_name", "email", "is_portal_admin")}),
        (_("Microsoft Entra ID"), {"fields": ("entra_tenant_id", "entra_object_id")}),
        (
            _("Permissões"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Datas"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "email",
                    "is_portal_admin",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
