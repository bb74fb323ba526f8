"""Which repositories may be fetched, and the errors a student reads when one may not.

:func:`check_url` accepts only plain HTTPS addresses under an allowed prefix
(``AUTOGRADER_GIT_ALLOWED_URLS``, default ``https://github.com/``): anything else is a way to
make the grader read local files (``file://``, a path), run a command (``ext::``), reach
internal hosts, or leak a student's token into our logs. Refs are checked the same way
before git sees them, and :func:`redact` masks credentials in what we log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from autograder.errors import InfrastructureError

ENV_ALLOWED = "AUTOGRADER_GIT_ALLOWED_URLS"
GITHUB_PREFIX = "https://github.com/"
DEFAULT_ALLOWED = GITHUB_PREFIX
MAX_URL_LENGTH = 300
MAX_REF_LENGTH = 200

SHA_RE = re.compile(r"[0-9a-f]{40}")
_GITHUB_REST = re.compile(
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<name>[A-Za-z0-9._-]{1,100}?)(?:\.git)?/?"
)
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")

MESSAGES: dict[str, str] = {
    "url-invalid": (
        "O endereço do repositório não é válido: {reason}. Use o endereço HTTPS do "
        "repositório, por exemplo https://github.com/usuario/projeto."
    ),
    "url-not-allowed": (
        "Só aceitamos repositórios públicos em {allowed}, pelo endereço HTTPS (não SSH, "
        "git@..., nem caminho local)."
    ),
    "credentials": (
        "O endereço contém usuário, senha ou token. Nunca envie credenciais: remova-as do "
        "endereço e deixe o repositório público. Se um token real foi colado, revogue-o agora."
    ),
    "not-found": (
        "O repositório {url} não foi encontrado ou é privado. Confira o endereço e deixe o "
        "repositório público."
    ),
    "unreachable": ("Não foi possível acessar {url} agora. Tente novamente em alguns minutos."),
    "empty": (
        "O repositório {url} está vazio: faça pelo menos um commit e um push antes de enviar."
    ),
    "ref-invalid": (
        "A referência `{ref}` não é válida. Informe o nome de um branch, de uma tag ou o SHA "
        "completo (40 caracteres) de um commit."
    ),
    "unknown-ref": (
        "A referência `{ref}` não existe em {url}. Informe um branch, uma tag ou o SHA "
        "completo (40 caracteres) de um commit que já foi enviado (push)."
    ),
    "too-big": (
        "O repositório passa do limite de {limit}: {found}. Tire do repositório dados, modelos "
        "treinados e arquivos gerados (use .gitignore ou um armazenamento externo)."
    ),
    "invalid-repo": (
        "O repositório {url} contém objetos git inválidos ou perigosos e não pode ser usado."
    ),
    "timeout": (
        "O acesso ao repositório {url} passou do limite de {seconds} s. Tente novamente; se "
        "persistir, reduza o tamanho do repositório."
    ),
    "failed": "Não foi possível baixar o repositório {url}. Tente novamente mais tarde.",
}

# Kinds that are no fault of the student: worth retrying later.
RETRYABLE = frozenset({"unreachable", "timeout", "failed"})


class RepoError(Exception):
    """A repository that cannot be used; ``message`` is for the student, ``kind`` for code.

    Make one with :func:`repo_error`, which picks :class:`RepoUnavailable` for the kinds in
    ``RETRYABLE``; a retryable kind in a plain RepoError is refused (``ValueError``).
    """

    def __init__(self, kind: str, **fields: object) -> None:
        if (kind in RETRYABLE) != isinstance(self, RepoUnavailable):
            raise ValueError(f"repository error {kind!r}: use repo_error()")
        self.kind = kind
        self.message = MESSAGES[kind].format(**fields)
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return isinstance(self, RepoUnavailable)


class RepoUnavailable(RepoError, InfrastructureError):
    """The git host did not answer, or not in time: our side (retry), not the student's."""


def repo_error(kind: str, **fields: object) -> RepoError:
    """The error of ``kind``: a :class:`RepoUnavailable` for the kinds in ``RETRYABLE``."""
    cls = RepoUnavailable if kind in RETRYABLE else RepoError
    return cls(kind, **fields)


# -- URLs --------------------------------------------------------------------------------------


def allowed_prefixes(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The URL prefixes a submission may use, from ``AUTOGRADER_GIT_ALLOWED_URLS``.

    Comma-separated ``http(s)://host[:port]/[path/]`` prefixes; each is given a trailing ``/``
    so ``https://github.com`` cannot also admit ``https://github.com.evil.example``. A
    malformed entry raises ``ValueError``: a bad setting must fail loudly, not open a hole.
    """
    raw = environ.get(ENV_ALLOWED) or DEFAULT_ALLOWED
    prefixes = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        parts = urlsplit(entry)
        if (
            parts.scheme.lower() not in ("https", "http")
            or not parts.hostname
            or "@" in parts.netloc
            or parts.query
            or parts.fragment
            or any(ch.isspace() for ch in entry)
        ):
            raise ValueError(f"{ENV_ALLOWED}: not an http(s) URL prefix: {entry!r}")
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        prefixes.append(f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}")
    if not prefixes:
        raise ValueError(f"{ENV_ALLOWED} lists no prefix")
    return tuple(prefixes)


def _invalid(reason: str) -> RepoError:
    return RepoError("url-invalid", reason=reason)


def check_url(url: str, allowed: Sequence[str]) -> str:
    """Return ``url`` normalised, or raise :class:`RepoError` if it may not be fetched.

    GitHub URLs come back as ``https://github.com/<owner>/<name>`` (no ``.git``, no slash).
    """
    not_allowed = RepoError("url-not-allowed", allowed=", ".join(allowed))
    if not isinstance(url, str) or not url:
        raise _invalid("está vazio")
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"tem mais de {MAX_URL_LENGTH} caracteres")
    if any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in url):
        raise _invalid("contém espaços, caracteres de controle ou caracteres fora do ASCII")
    if "://" not in url:
        # git@github.com:ana/x.git, ext::sh -c ..., /srv/repo, ../repo: never a web address.
        raise not_allowed
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("https", "http"):
        raise not_allowed  # file://, ssh://, git://, ftp://...
    netloc = rest.split("/", 1)[0]
    if "@" in netloc:
        raise RepoError("credentials")
    if "?" in url or "#" in url:
        raise _invalid("não pode ter parâmetros de consulta (?) nem fragmentos (#)")
    if "%" in url or "\\" in url:
        raise _invalid("não pode ter caracteres codificados (%) nem barras invertidas")
    path = rest[len(netloc) :]
    segments = path.strip("/").split("/") if path.strip("/") else []
    if any(segment in ("", ".", "..") for segment in segments) or "//" in path:
        raise _invalid("não pode conter `..`, `.` nem barras repetidas no caminho")
    normalised = f"{scheme.lower()}://{netloc.lower()}{path}"
    prefix = next((p for p in allowed if normalised.startswith(p)), None)
    if prefix is None:
        raise not_allowed
    tail = normalised[len(prefix) :]
    if prefix == GITHUB_PREFIX:
        match = _GITHUB_REST.fullmatch(tail)
        if match is None or match["name"] in (".", "..", ".git"):
            raise _invalid("deve ter a forma https://github.com/<usuário>/<repositório>")
        return f"{GITHUB_PREFIX}{match['owner']}/{match['name']}"
    tail = tail.rstrip("/")
    if not tail or not all(_SEGMENT.fullmatch(s) for s in tail.split("/")):
        raise _invalid("o caminho do repositório tem caracteres não permitidos")
    return prefix + tail


def check_ref(ref: str) -> str:
    if (
        not isinstance(ref, str)
        or not _REF.fullmatch(ref)
        or len(ref) > MAX_REF_LENGTH
        or ".." in ref
        or "//" in ref
        or ref.endswith((".", "/", ".lock"))
        or "/." in ref
    ):
        raise RepoError("ref-invalid", ref=printable(ref))
    return ref


def printable(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:MAX_REF_LENGTH]


_CREDENTIALS_IN_TEXT = re.compile(r"(://)[^/\s@]+@")
_TOKENS = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")


def redact(text: str) -> str:
    """``text`` with URL credentials and GitHub-looking tokens masked, for logs."""
    return _TOKENS.sub("***", _CREDENTIALS_IN_TEXT.sub(r"\1***@", text))
