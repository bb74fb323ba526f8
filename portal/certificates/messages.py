"""Every message of certificates, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        "certificate.no_attendance": _("nenhuma aula com frequência registrada"),
        "certificate.low_attendance": _("frequência de %(percent)s (mínimo %(minimum)s)"),
        "certificate.no_project": _("o curso não tem projeto final"),
        "certificate.no_grade": _("projeto final sem nota liberada"),
        "certificate.pending_grade": _("projeto final com critérios aguardando o instrutor"),
        "certificate.low_grade": _("nota do projeto final de %(percent)s (mínimo %(minimum)s)"),
        "certificate.already_issued": _("certificado já emitido (código %(code)s)"),
        "certificate.not_qualified": _("%(name)s não se qualifica: %(reasons)s"),
        "certificate.reason_required": _("diga o motivo da revogação: ele fica registrado"),
        "certificate.already_revoked": _("este certificado já foi revogado"),
    }
)


class CertificateError(UserError):
    catalogue = MESSAGES
