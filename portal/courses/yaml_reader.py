"""YAML read by hand-written course files: every mapping and sequence knows its line, and
:class:`Reader` gives typed access that raises :class:`ContentError` naming file and line."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_FILE_BYTES = 20 * 1024 * 1024


class ContentError(Exception):
    """A problem in the course files, located by file and line (1-based)."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


# --- YAML with line numbers -------------------------------------------------------


class _Mapping(dict):
    line: int = 0
    key_lines: dict[str, int]


class _Sequence(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences remember where they were written."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = _Mapping(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            str(key_node.value): key_node.start_mark.line + 1 for key_node, _ in node.value
        }
        return mapping

    def construct_sequence(self, node, deep=False):  # type: ignore[override]
        sequence = _Sequence(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        return sequence


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


class Reader:
    """Typed access to one YAML mapping, raising ContentError with its line."""

    def __init__(self, data: Any, path: Path, where: str, allowed: set[str]) -> None:
        self.path, self.where = path, where
        if not isinstance(data, _Mapping):
            raise ContentError(path, getattr(data, "line", None), f"{where}: expected a mapping")
        self.data = data
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ContentError(
                path,
                data.key_lines.get(unknown[0], data.line),
                f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(allowed))})",
            )

    def line_of(self, key: str) -> int:
        return self.data.key_lines.get(key, self.data.line)

    def error(self, key: str, message: str) -> ContentError:
        return ContentError(self.path, self.line_of(key), f"{self.where}.{key}: {message}")

    def raw(self, key: str, required: bool) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise ContentError(
                    self.path, self.data.line, f"{self.where}: missing required key '{key}'"
                )
            return None
        return self.data[key]

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self.raw(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(key, "expected non-empty text")
        return value.strip()

    def slug(self, key: str) -> str:
        value = self.text(key)
        if not SLUG_RE.match(value):
            raise self.error(key, f"'{value}' is not a slug (lowercase letters, digits, hyphens)")
        return value

    def integer(
        self,
        key: str,
        required: bool = True,
        default: int = 0,
        minimum: int = 0,
        maximum: int = 10_000,
    ) -> int:
        value = self.raw(key, required)
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not (minimum <= value <= maximum)
        ):
            raise self.error(key, f"expected a whole number from {minimum} to {maximum}")
        return value

    def url(self, key: str, required: bool = False) -> str:
        value = self.text(key, required=required)
        if value and not value.startswith(("https://", "http://")):
            raise self.error(key, f"'{value}' is not an http(s) URL")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in choices:
            raise self.error(key, f"'{value}' must be one of: {', '.join(choices)}")
        return value

    def date(self, key: str) -> dt.date:
        value = self.raw(key, required=True)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(key, f"'{value}' is not a date (YYYY-MM-DD)") from None

    def moment(self, key: str, tz: zoneinfo.ZoneInfo, required: bool = True) -> dt.datetime | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            moment = value
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise self.error(key, f"'{value}' is not a date-time (YYYY-MM-DDTHH:MM)") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)

    def sequence(self, key: str, required: bool = False) -> list[Any]:
        value = self.raw(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, "expected a list")
        return value

    def text_file(self, key: str, root: Path, required: bool = True) -> str:
        relative = self.text(key, required=required)
        if not relative:
            return ""
        return read_text(self, key, inside(self, key, root, relative))


def inside(reader: Reader, key: str, root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise reader.error(key, f"'{relative}' points outside the course folder")
    if not target.is_file():
        raise reader.error(key, f"file '{relative}' not found")
    if target.stat().st_size > MAX_FILE_BYTES:
        raise reader.error(key, f"file '{relative}' is larger than {MAX_FILE_BYTES} bytes")
    return target


def read_text(reader: Reader, key: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, None, f"not valid UTF-8 ({exc.reason})") from None


def load_yaml(path: Path) -> Any:
    """The YAML document in ``path``, with line numbers; ContentError when it does not parse."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContentError(
            path, mark.line + 1 if mark else None, f"invalid YAML: {exc.problem or exc.context}"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError(path, None, f"invalid YAML: {exc}") from None


def reject_duplicates(reader: Reader, key: str, values: list, what: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise reader.error(key, f"{what} '{value}' appears twice")
        seen.add(value)
