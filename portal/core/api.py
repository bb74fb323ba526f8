"""What every endpoint of the REST API shares: the error body, scopes, pagination, throttling.

Each app's ``apis.py`` holds its DRF views, thin callers of that app's selectors and services
like its HTML views; ``portal/api`` routes them and serves the OpenAPI document.

**One error shape.** Every refusal, whatever raised it, is answered as::

    {"error": {"id": "upload.too_large", "message": "O arquivo tem 12,0 MB ...",
               "fields": {"file": [{"id": "...", "message": "..."}]}}}

``id`` is the same stable message id the pages use (``portal/<app>/messages.py``) and
``message`` its text in the request's language (pt-BR unless ``Accept-Language`` asks for
English). ``fields`` is only there when particular inputs are at fault.

**Scopes.** A personal token carries scopes: reading (any safe method) needs ``read``; a
view's writes need its ``write_scope``, ``submit`` (a student's attempts and requests) or
``manage`` (an instructor's or admin's decisions). The browser session is the person
themself, so it has every scope; what they may do is still checked by the selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.urls import remove_query_param, replace_query_param

from portal.core.messages import Catalogue, UserError

if TYPE_CHECKING:  # rest_framework.views imports the permission classes named in settings
    from rest_framework.views import APIView

MESSAGES = Catalogue(
    {
        "api.unauthenticated": _(
            "Autenticação necessária: envie 'Authorization: Bearer <token>' ou entre no portal."
        ),
        "api.forbidden": _("Você não tem permissão para isto."),
        "api.scope_missing": _(
            "Este token não tem a permissão '%(scope)s'. Crie um token com ela na sua "
            "página de perfil."
        ),
        "api.not_found": _("Não encontrado, ou você não tem acesso."),
        "api.method_not_allowed": _("Método %(method)s não permitido aqui."),
        "api.invalid": _("Alguns dados enviados não são válidos; veja cada campo."),
        "api.malformed": _("O corpo da requisição não pôde ser lido: %(detail)s"),
        "api.unsupported_media_type": _("Tipo de conteúdo não suportado: %(media_type)s."),
        "api.not_acceptable": _("Não há uma resposta no formato pedido."),
        "api.throttled": _(
            "Muitas requisições com esta credencial. Tente de novo em %(seconds)d s."
        ),
        "api.csrf": _(
            "Requisição da sessão do navegador sem o token CSRF. Scripts devem usar um token "
            "de acesso pessoal (Authorization: Bearer)."
        ),
        "api.error": _("Não foi possível atender a requisição (%(detail)s)."),
        "api.bad_cursor": _("Cursor de paginação inválido; recomece da primeira página."),
        "api.too_large": _(
            "A requisição tem %(size)s; o limite é %(limit)s. Um notebook maior que isso não "
            "é aceito: limpe as saídas das células e envie de novo."
        ),
    }
)


class ApiRefused(UserError):
    catalogue = MESSAGES


class Refusal(exceptions.APIException):
    """A :class:`UserError` answered with ``status_code`` (400 unless the caller says)."""

    def __init__(self, error: UserError, status_code: int = status.HTTP_400_BAD_REQUEST) -> None:
        self.error = error
        self.status_code = status_code
        super().__init__(str(error))


def absolute_url(request: Request, name: str, *args: object) -> str:
    """The absolute URL of the route ``name``, for links in an answer."""
    return request.build_absolute_uri(reverse(name, args=args))


def refuse(error: UserError, status_code: int = status.HTTP_400_BAD_REQUEST) -> Refusal:
    return Refusal(error, status_code)


FieldErrors = dict[str, list[dict[str, str]]]


def error_body(error: UserError, fields: FieldErrors | None = None) -> dict:
    body: dict[str, Any] = {"id": error.message_id, "message": error.message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def field_errors(errors: dict[str, list[UserError]]) -> FieldErrors:
    return {
        name: [{"id": e.message_id, "message": e.message} for e in found]
        for name, found in errors.items()
    }


class FieldsRefused(exceptions.ValidationError):
    """``api.invalid`` with our own message ids per input (``fields``)."""

    def __init__(self, **fields: UserError) -> None:
        self.detail = {name: [error] for name, error in fields.items()}


def _field_errors(detail: Any, prefix: str = "") -> FieldErrors:
    """DRF's nested validation detail, flattened to ``{"field.sub": [{"id", "message"}]}``.

    Our own refusals keep their ids; DRF's field checks ("required", "invalid", "max_length"
    ...) are ``field.<code>`` with DRF's text, translated by DRF itself.
    """
    found: FieldErrors = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found.update(_field_errors(value, name))
    elif isinstance(detail, list):
        for item in detail:
            for name, errors in _field_errors(item, prefix).items():
                found.setdefault(name, []).extend(errors)
    elif isinstance(detail, UserError):
        found[prefix or "non_field_errors"] = [{"id": detail.message_id, "message": detail.message}]
    else:
        code = getattr(detail, "code", None) or "invalid"
        found[prefix or "non_field_errors"] = [{"id": f"field.{code}", "message": str(detail)}]
    return found


def _translated(exc: Exception, request: Any) -> tuple[UserError, int, FieldErrors | None]:
    if isinstance(exc, Refusal):
        return exc.error, exc.status_code, None
    if isinstance(exc, UserError):
        return exc, status.HTTP_400_BAD_REQUEST, None
    if isinstance(exc, Http404 | exceptions.NotFound):
        return ApiRefused("api.not_found"), status.HTTP_404_NOT_FOUND, None
    if isinstance(exc, PermissionDenied):
        return ApiRefused("api.forbidden"), status.HTTP_403_FORBIDDEN, None
    if isinstance(exc, ScopeMissing):
        return ApiRefused("api.scope_missing", scope=exc.scope), status.HTTP_403_FORBIDDEN, None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        error = getattr(exc, "error", None) or ApiRefused("api.unauthenticated")
        return error, status.HTTP_401_UNAUTHORIZED, None
    if isinstance(exc, exceptions.PermissionDenied):
        # DRF's session authentication refuses a write without CSRF with this exception.
        if "CSRF" in str(exc.detail):
            return ApiRefused("api.csrf"), status.HTTP_403_FORBIDDEN, None
        return ApiRefused("api.forbidden"), status.HTTP_403_FORBIDDEN, None
    if isinstance(exc, exceptions.Throttled):
        return ApiRefused("api.throttled", seconds=int(exc.wait or 1)), exc.status_code, None
    if isinstance(exc, exceptions.ValidationError):
        return ApiRefused("api.invalid"), exc.status_code, _field_errors(exc.detail)
    if isinstance(exc, exceptions.ParseError):
        return ApiRefused("api.malformed", detail=exc.detail), exc.status_code, None
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = getattr(request, "method", None) or "?"
        return ApiRefused("api.method_not_allowed", method=method), exc.status_code, None
    if isinstance(exc, exceptions.UnsupportedMediaType):
        media = getattr(request, "content_type", None) or "?"
        return ApiRefused("api.unsupported_media_type", media_type=media), exc.status_code, None
    if isinstance(exc, exceptions.NotAcceptable):
        return ApiRefused("api.not_acceptable"), exc.status_code, None
    if isinstance(exc, exceptions.APIException):
        return ApiRefused("api.error", detail=exc.detail), exc.status_code, None
    raise exc  # a bug of ours: a 500, logged as any other


def exception_handler(exc: Exception, context: dict) -> Response:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: every refusal in the one body shape."""
    error, code, fields = _translated(exc, context.get("request"))
    response = Response(error_body(error, fields), status=code)
    if code == status.HTTP_401_UNAUTHORIZED:
        view = context.get("view")
        request = context.get("request")
        header = view.get_authenticate_header(request) if view and request else None
        response["WWW-Authenticate"] = header or 'Bearer realm="api"'
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


# -- scopes -----------------------------------------------------------------------------------


class ScopeMissing(exceptions.PermissionDenied):
    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(scope)


def token_of(request: Request) -> Any:
    """The personal token behind ``request`` (anything with ``allows(scope)``), or None for
    the browser session."""
    auth = request.auth
    return auth if hasattr(auth, "allows") else None


class HasScope(BasePermission):
    """Signed in, and the token (if any) carries the scope this request needs."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated
        needed = "read" if request.method in SAFE_METHODS else getattr(view, "write_scope", None)
        if needed is None:
            raise exceptions.MethodNotAllowed(request.method or "")
        token = token_of(request)
        if token is not None and not token.allows(needed):
            raise ScopeMissing(needed)
        return True


# -- pagination -------------------------------------------------------------------------------


class Cursor(CursorPagination):
    """Opaque cursors over a queryset, newest or first id first (a view's ``ordering``)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "id"

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # OpenAPI 3.1 (SPECTACULAR_SETTINGS): a link that may be null is typed so, not
        # "nullable" (3.0), which 3.1 validators ignore.
        def link(what: str) -> dict:
            return {"type": ["string", "null"], "format": "uri", "description": what}

        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": link("The following page; null on the last one"),
                "previous": link("Back towards the first page; null on the first page"),
                "results": schema,
            },
        }

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise refuse(ApiRefused("api.bad_cursor")) from None


class ListCursor(BasePagination):
    """The same cursors over a list a selector built (rows that are not one queryset):
    ``key`` gives each row a unique, ordered key and the cursor is the last key seen."""

    page_size = Cursor.page_size
    max_page_size = Cursor.max_page_size

    def __init__(self, key: Callable[[Any], int | str]) -> None:
        self.key = key

    def paginate(self, rows: Sequence[Any], request: Request) -> list[Any]:
        self.request = request
        ordered = sorted(rows, key=self.key)
        after = request.query_params.get("cursor")
        if after:
            kind = type(self.key(ordered[0])) if ordered else str
            try:
                last = kind(after)
            except ValueError:
                raise refuse(ApiRefused("api.bad_cursor")) from None
            ordered = [row for row in ordered if self.key(row) > last]
        size = _page_size(request, self.page_size, self.max_page_size)
        self.page, self.more = ordered[:size], len(ordered) > size
        return self.page

    def get_paginated_response(self, data: Any) -> Response:
        url = self.request.build_absolute_uri()
        following = (
            replace_query_param(url, "cursor", self.key(self.page[-1])) if self.more else None
        )
        first = remove_query_param(url, "cursor")
        return Response(
            {
                "next": following,
                "previous": first if self.request.query_params.get("cursor") else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return Cursor().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        return Cursor().get_schema_operation_parameters(view)


def _page_size(request: Request, default: int, largest: int) -> int:
    try:
        asked = int(request.query_params.get("page_size", default))
    except ValueError:
        return default
    return max(1, min(asked, largest))


# -- throttling -------------------------------------------------------------------------------


class PerCredentialThrottle(SimpleRateThrottle):
    """``API_THROTTLE_RATE`` requests per personal token, or per person on the session.

    Counted in the Django cache (Redis in production, shared by every web process); two
    tokens of one person are two budgets, so a runaway script does not lock its owner out
    of the browser.
    """

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = token_of(request)
        if token is not None:
            return f"throttle:api:token:{token.pk}"
        if request.user and request.user.is_authenticated:
            return f"throttle:api:user:{request.user.pk}"
        return f"throttle:api:ip:{self.get_ident(request)}"


# -- downloads --------------------------------------------------------------------------------


class Download(DefaultContentNegotiation):
    """For views answering a file: any ``Accept`` is served (the file, or a JSON refusal),
    where the default would refuse a client asking for the file's own type with 406."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None):
        return renderers[0], renderers[0].media_type
