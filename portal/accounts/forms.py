from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import ApiToken, User


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


EXPIRY_CHOICES = [
    (7, _("7 dias")),
    (30, _("30 dias")),
    (90, _("90 dias")),
    (180, _("180 dias")),
    (366, _("1 ano")),
]


class ApiTokenForm(forms.Form):
    """A new personal access token; the rules themselves are in ``tokens.api_token_create``."""

    name = forms.CharField(
        label=_("Nome"),
        max_length=200,
        help_text=_("Para você reconhecer o token, por exemplo “notebook de casa”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissões"),
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
        required=False,
    )
    expires_days = forms.TypedChoiceField(
        label=_("Validade"), choices=EXPIRY_CHOICES, coerce=int, initial=90
    )
