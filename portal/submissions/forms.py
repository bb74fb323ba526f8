from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,  # the service says why, with its own message id
        label=_("Seu notebook (.ipynb)"),
        help_text=_("Envie o notebook da entrega com suas respostas, salvo pelo Jupyter."),
        widget=forms.ClearableFileInput(attrs={
            "accept": ".ipynb,application/x-ipynb+json",
            "aria-describedby": "id_file_helptext",
        }),
    )
