"""Every message the sign-in flow shows to a person, in one place.

Each message has a stable id (``SignInError``): views, logs and tests refer to
the id, so rewording a sentence never breaks a test or a log search. The text is
pt-BR (the source language of the portal) and goes through Django i18n.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError


class SignInError(StrEnum):
    NOT_CONFIGURED = "not_configured"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_REFUSED = "provider_refused"
    SESSION_EXPIRED = "session_expired"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_ISSUER = "invalid_issuer"
    INVALID_AUDIENCE = "invalid_audience"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - an error id, not a secret
    INVALID_NONCE = "invalid_nonce"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error id, not a secret
    TENANT_NOT_ALLOWED = "tenant_not_allowed"
    MISSING_IDENTITY = "missing_identity"
    MISSING_EMAIL = "missing_email"
    ACCOUNT_DISABLED = "account_disabled"
    DEV_USER_INVALID = "dev_user_invalid"


def _invalid_response(detail: Promise) -> Promise:
    # One sentence for every "the token did not check out" case, with the reason in
    # parentheses: people can report it, and nothing in it helps an attacker.
    return format_lazy(
        _("Não foi possível validar a resposta da Microsoft ({detail}). Tente novamente."),
        detail=detail,
    )


SIGN_IN_ERRORS: dict[SignInError, Promise] = {
    SignInError.NOT_CONFIGURED: _(
        "O login com a Microsoft não está configurado neste portal. Avise o administrador."
    ),
    SignInError.PROVIDER_UNAVAILABLE: _(
        "Não foi possível falar com a Microsoft agora. Tente novamente em alguns minutos."
    ),
    SignInError.PROVIDER_REFUSED: _(
        "A Microsoft não concluiu o login (cancelado ou recusado). Tente novamente."
    ),
    SignInError.SESSION_EXPIRED: _("A sessão de login expirou ou já foi usada. Comece de novo."),
    SignInError.INVALID_SIGNATURE: _invalid_response(_("assinatura inválida")),
    SignInError.INVALID_ISSUER: _invalid_response(_("emissor inválido")),
    SignInError.INVALID_AUDIENCE: _invalid_response(_("destinatário inválido")),
    SignInError.TOKEN_EXPIRED: _invalid_response(_("resposta expirada")),
    SignInError.INVALID_NONCE: _invalid_response(_("nonce inválido")),
    SignInError.INVALID_TOKEN: _invalid_response(_("token inválido")),
    SignInError.TENANT_NOT_ALLOWED: _(
        "Sua conta pertence a uma organização que não tem acesso a este portal."
    ),
    SignInError.MISSING_IDENTITY: _(
        "Sua conta Microsoft não informou um identificador de usuário e de organização. "
        "Tente novamente ou fale com o administrador."
    ),
    SignInError.MISSING_EMAIL: _(
        "Sua conta Microsoft não informou um e-mail; peça ao administrador da sua "
        "organização para cadastrar o e-mail da conta e tente novamente."
    ),
    SignInError.ACCOUNT_DISABLED: _(
        "Sua conta está desativada neste portal. Fale com a coordenação do curso."
    ),
    SignInError.DEV_USER_INVALID: _("Escolha um usuário de demonstração da lista."),
}


def sign_in_error_text(error: SignInError) -> Promise:
    return SIGN_IN_ERRORS[error]


TOKEN_MESSAGES = Catalogue(
    {
        "token.name_required": _("Dê um nome ao token, para reconhecê-lo depois."),
        "token.name_too_long": _("O nome do token pode ter no máximo %(limit)d caracteres."),
        "token.scope_required": _("Escolha pelo menos uma permissão para o token."),
        "token.scope_unknown": _(
            "Permissão desconhecida: %(scope)s. As permissões são: %(known)s."
        ),
        "token.expiry_range": _("A validade do token deve ser de 1 a %(limit)d dias."),
        "token.invalid": _(
            "Token de acesso inválido ou revogado. Crie um novo na sua página de perfil."
        ),
        "token.expired": _("Este token de acesso expirou. Crie um novo na sua página de perfil."),
        "token.not_found": _("Este token não existe ou já foi revogado."),
    }
)


class TokenRefused(UserError):
    catalogue = TOKEN_MESSAGES
