from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublicationForm(forms.Form):
    ACTIONS = (
        ("publish", _("Publicar agora")),
        ("schedule", _("Agendar")),
        ("unpublish", _("Despublicar")),
    )

    action = forms.ChoiceField(choices=ACTIONS)
    publish_at = forms.DateTimeField(
        label=_("Publicar em"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "schedule":
            when = data.get("publish_at")
            if when is None:
                self.add_error("publish_at", _("Informe a data e a hora da publicação."))
            elif when <= timezone.now():
                self.add_error("publish_at", _("A data do agendamento precisa estar no futuro."))
        return data

    def publish_at_value(self):
        action = self.cleaned_data["action"]
        if action == "publish":
            return timezone.now()
        if action == "unpublish":
            return None
        return self.cleaned_data["publish_at"]


class RosterForm(forms.Form):
    file = forms.FileField(
        label=_("Arquivo CSV"),
        help_text=_(
            "Cabeçalho: email;nome;papel (papel: aluno ou instrutor). "
            "Separado por vírgula ou ponto e vírgula."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "empty": _("O arquivo enviado está vazio."),
            "required": _("Escolha o arquivo CSV da turma."),
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Envie um arquivo .csv (no Excel: Salvar como > CSV)."))
        return upload
