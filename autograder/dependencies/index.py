"""Why a requirement cannot be installed, in words a student understands, from the index.

    why_unavailable("seaborn==0.13.2", "https://pypi.org/simple", "3.11")
    # "sem wheel para Python 3.11 que atenda `==0.13.2` (o índice só tem código-fonte...)"

Reads the package's page of the configured index (PEP 503, the "simple" HTML that every
index serves) once, size-capped and time-limited, and tells apart: not in the index, only
source distributions (the grader never builds packages), wheels but none for the grading
image's Python and platform or the asked version.
"""

from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request
from html.parser import HTMLParser

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from autograder.errors import InfrastructureError

PAGE_MAX_BYTES = 4 * 1024 * 1024
TIMEOUT_S = 15


class IndexUnavailable(InfrastructureError):
    """The configured index did not answer: ours to retry, never "the package has no wheel"."""


def canonical(requirement: str) -> str:
    """The canonical project name of a requirement (``Scikit_Learn>=1`` → ``scikit-learn``)."""
    try:
        return str(canonicalize_name(Requirement(requirement).name))
    except InvalidRequirement:
        return str(canonicalize_name(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.files.append(href.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def files_of(name: str, index_url: str, cert: str | None = None) -> list[str] | None:
    """The file names the index lists for ``name``; None when it has no such project."""
    url = f"{index_url.rstrip('/')}/{name}/"
    context = ssl.create_default_context(cafile=cert) if cert and url.startswith("https") else None
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as answer:  # noqa: S310 - the configured index
            page = answer.read(PAGE_MAX_BYTES).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise IndexUnavailable(f"{url}: HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:  # refused, DNS, TLS, time-out
        raise IndexUnavailable(f"{url}: {exc}") from exc
    links = _Links()
    links.feed(page)
    return [file for file in links.files if file]


def why_unavailable(requirement: str, index_url: str, python: str, cert: str | None = None) -> str:
    """Why ``requirement`` has no wheel to install (pt-BR); IndexUnavailable if it cannot say."""
    files = files_of(canonical(requirement), index_url, cert)
    if files is None:
        return "não existe no índice de pacotes configurado"
    wheels = [file for file in files if file.endswith(".whl")]
    if not wheels:
        return (
            f"sem wheel para Python {python}: o índice só tem código-fonte (sdist), "
            "e a correção não compila pacotes"
        )
    try:
        spec = Requirement(requirement).specifier
    except InvalidRequirement:
        spec = None
    wanted = f" que atenda `{spec}`" if spec else ""
    suitable = [wheel for wheel in wheels if _runs_on(wheel, python)]
    if suitable and spec:
        found = {parse_wheel_filename(w)[1] for w in suitable}
        final = {v for v in found if not v.is_prerelease} or found
        newest = ", ".join(str(v) for v in sorted(final)[-3:])
        return f"sem wheel para Python {python}{wanted} (as mais novas que há: {newest})"
    return f"sem wheel para Python {python} (Linux){wanted}"


def _runs_on(wheel: str, python: str) -> bool:
    try:
        _, _, _, tags = parse_wheel_filename(wheel)
    except InvalidWheelFilename:
        return False
    short = "cp" + python.replace(".", "")
    for tag in tags:
        interpreter_ok = tag.interpreter in ("py3", short, "py" + python.replace(".", "")) or (
            tag.abi == "abi3" and tag.interpreter.startswith("cp3")
        )
        platform_ok = tag.platform == "any" or "linux" in tag.platform
        if interpreter_ok and platform_ok:
            return True
    return False
