from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,  # the service says why, with its own message id
        label=_("Seu notebook (.ipynb)"),
        help_text=_("Envie o notebook da entrega com suas respostas, salvo pelo Jupyter."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".ipynb,application/x-ipynb+json",
                "aria-describedby": "id_file_helptext",
            }
        ),
    )


class RepositoryForm(forms.Form):
    url = forms.CharField(
        max_length=300,
        label=_("URL do repositório no GitHub"),
        help_text=_("Por exemplo: https://github.com/seu-usuario/seu-projeto"),
        widget=forms.URLInput(
            attrs={
                "placeholder": "https://github.com/…",
                "aria-describedby": "id_url_helptext",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    ref = forms.CharField(
        max_length=200,
        required=False,
        label=_("Branch, tag ou commit (opcional)"),
        help_text=_(
            "Sem informar, vale a branch padrão do repositório. Recomendado: a tag entrega-final."
        ),
        widget=forms.TextInput(
            attrs={
                "aria-describedby": "id_ref_helptext",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
