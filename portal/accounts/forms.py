from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User


class _UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        detail = _("administrador") if obj.is_admin else obj.username
        return f"{obj.display_name} ({detail})"


class DevSignInForm(forms.Form):
    """Pick any active user and become them. Only reachable with DEBUG and DEV_SIGNIN_ENABLED."""

    user = _UserChoiceField(
        label=_("Usuário de demonstração"),
        queryset=User.objects.filter(is_active=True).order_by(
            "-is_portal_admin", "full_name", "username"
        ),
        empty_label=None,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
