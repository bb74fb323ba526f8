from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User


class DevSignInForm(forms.Form):
    """Pick any active user and become them. Only reachable with DEBUG and DEV_SIGNIN_ENABLED."""

    user = forms.ModelChoiceField(
        label=_("Usuário de demonstração"),
        queryset=User.objects.filter(is_active=True).order_by("role", "full_name", "username"),
        empty_label=None,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
