"""Hidden tests kept out of everything a student reads.

nbgrader's ClearHiddenTests clears the ``### BEGIN HIDDEN TESTS`` regions from the cells'
*sources* only. The outputs still quote them: IPython's traceback shows the lines around the
failing one (the hidden ``assert``, the markers, a helper defined in a hidden block and the
line calling it), an exception's message can name a hidden helper, and a student's cell can
print another cell's source (``print(In[-2])``). The instructor's source notebook says which
lines are hidden, so every output is redacted against it before anything leaves the
container for students (``grader_ext``: the feedback; ``runner``: the per-cell excerpts), and
the host checks the result once more (``autograder/notebook_report.py``).

Hidden are the lines of every hidden region, the markers themselves, and the names of the
functions and classes a hidden region defines (helpers), less what the release also shows (a
student has that anyway). On text without terminal colours (IPython colours every token of
a traceback): a line that *is* a hidden line becomes :data:`REDACTED` (a traceback keeps its
line number and arrow); a hidden line of some length inside a longer text, and a hidden name
anywhere, are replaced by it too; a rich output (HTML, SVG, JSON) that still shows one is
dropped. What a student transforms on purpose before printing it (reversed, encoded) cannot
be recognised here.

Standard library only: the runner, nbgrader's process and the host all use it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN = "BEGIN HIDDEN TESTS"  # nbgrader's ClearHiddenTests delimiters (case-sensitive)
END = "END HIDDEN TESTS"
REDACTED = "[teste oculto]"
# A hidden line shorter than this is only redacted where it is a whole line: inside longer
# text, "pass" or ")" would cut up a student's own output.
MIN_FRAGMENT_CHARS = 10
MIN_NAME_CHARS = 4

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: hyperlinks, titles
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
)
# A source line quoted in an IPython traceback: "      3 code" or "----> 7 code".
_FRAME_LINE = re.compile(r"^(?P<prefix>\s*(?:-*>\s*)?\d+ )(?P<code>.*)$")
_DEFINED = re.compile(
    r"^\s*(?:async\s+def|def|class)\s+(?P<a>[A-Za-z_]\w*)|^\s*(?P<b>[A-Za-z_]\w*)\s*=\s*lambda\b"
)
_TAGS = re.compile(r"<[^>]*>")
_STYLES_AND_SCRIPTS = re.compile(r"(?is)<(style|script)\b.*?</\1\s*>")
_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def plain(text: str) -> str:
    """``text`` without terminal escape sequences."""
    return _ESCAPES.sub("", text)


def _normal(line: str) -> str:
    return " ".join(line.split())


def html_text(markup: str) -> str:
    """What an HTML document or fragment shows as text (tags out, entities decoded)."""
    return html.unescape(_TAGS.sub("", markup))


def document_text(document: str) -> str:
    """The text of a whole HTML page, less its style sheets and scripts (a notebook's CSS
    would otherwise match a helper named like a CSS keyword)."""
    return html_text(_STYLES_AND_SCRIPTS.sub("", document))


def notebook_text(notebook: dict[str, Any]) -> str:
    """What a notebook shows as text: every cell's source and outputs (HTML as its text,
    terminal colours out, images left out), one per line."""
    parts: list[str] = []
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict):
            continue
        parts.append(_source(cell))
        for output in cell.get("outputs", []) or []:
            if not isinstance(output, dict):
                continue
            parts.append(_joined(output.get("text", "")))
            parts += [str(output.get("ename", "")), str(output.get("evalue", ""))]
            parts += map(str, output.get("traceback", []) or [])
            data = output.get("data")
            for mimetype, value in data.items() if isinstance(data, dict) else ():
                if mimetype not in _IMAGES:
                    shown = _joined(value) if isinstance(value, str | list) else json.dumps(value)
                    parts.append(shown if mimetype == "text/plain" else html_text(shown))
    return plain("\n".join(parts))


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def hidden_regions(notebook: dict[str, Any]) -> list[list[str]]:
    """The lines of every hidden region of ``notebook``, markers included, region by region."""
    regions: list[list[str]] = []
    for cell in notebook.get("cells", []):
        current: list[str] | None = None
        for line in _source(cell).split("\n"):
            if BEGIN in line:
                current = [line]
                regions.append(current)
            elif current is not None:
                current.append(line)
                if END in line:
                    current = None
    return regions


@dataclass(frozen=True)
class HiddenTests:
    lines: frozenset[str]  # whitespace-normalised hidden lines
    fragments: tuple[str, ...]  # the longer ones as written (stripped), longest first
    names: tuple[str, ...]  # helpers a hidden region defines

    @classmethod
    def of(cls, source: dict[str, Any], *, known: Iterable[dict[str, Any]] = ()) -> HiddenTests:
        """The hidden tests of the instructor's ``source``, less what the ``known`` notebooks
        (the release, for the host's check also the submission) show a student anyway."""
        known_text = "\n".join(_source(cell) for nb in known for cell in nb.get("cells", []))
        known_lines = {_normal(line) for line in known_text.split("\n")}
        lines: set[str] = set()
        fragments: set[str] = set()
        names: set[str] = set()
        for region in hidden_regions(source):
            for line in region:
                normal = _normal(line)
                marker = BEGIN in line or END in line
                if not normal or (normal in known_lines and not marker):
                    continue
                lines.add(normal)
                if len(normal) >= MIN_FRAGMENT_CHARS or marker:
                    fragments.add(line.strip())
                found = _DEFINED.match(line)
                name = found and (found["a"] or found["b"])
                if (
                    name
                    and len(name) >= MIN_NAME_CHARS
                    and not re.search(rf"\b{re.escape(name)}\b", known_text)
                ):
                    names.add(name)
        return cls(
            frozenset(lines),
            tuple(sorted(fragments, key=len, reverse=True)),
            tuple(sorted(names, key=len, reverse=True)),
        )

    @classmethod
    def from_files(cls, source: Path, *known: Path) -> HiddenTests:
        def load(path: Path) -> dict[str, Any]:
            notebook: dict[str, Any] = json.loads(path.read_text("utf-8"))
            return notebook

        return cls.of(load(source), known=[load(path) for path in known])

    def __bool__(self) -> bool:
        return bool(self.lines)

    # -- text -----------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every hidden line, fragment and name replaced by :data:`REDACTED`;
        lines that had none keep their colours."""
        if not self or not text:
            return text
        return "".join(self._line(line) for line in text.splitlines(keepends=True))

    def _line(self, raw: str) -> str:
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        text = plain(body)
        normal = _normal(text)
        if not normal:
            return raw
        if normal in self.lines:
            return text[: len(text) - len(text.lstrip())] + REDACTED + ending
        frame = _FRAME_LINE.match(text)
        if frame and _normal(frame["code"]) in self.lines:
            return frame["prefix"] + REDACTED + ending
        redacted = text
        for fragment in self.fragments:
            redacted = redacted.replace(fragment, REDACTED)
        for name in self.names:  # and the signature a traceback's frame header adds
            redacted = re.sub(rf"\b{re.escape(name)}\b(?:\([^()\n]*\))?", REDACTED, redacted)
        return raw if redacted == text else redacted + ending

    def leaks(self, text: str) -> list[str]:
        """The hidden fragments and names ``text`` still shows (the host's last check)."""
        text = plain(text)
        found = [fragment for fragment in self.fragments if fragment in text]
        found += [name for name in self.names if re.search(rf"\b{re.escape(name)}\b", text)]
        return found

    # -- notebook outputs -----------------------------------------------------------------

    def redact_outputs(self, notebook: dict[str, Any]) -> int:
        """Redact every output of every cell of ``notebook`` in place; how many changed."""
        if not self:
            return 0
        changed = 0
        for cell in notebook.get("cells", []):
            for output in cell.get("outputs", []) or []:
                before = json.dumps(output, sort_keys=True)
                self._output(output)
                changed += json.dumps(output, sort_keys=True) != before
        return changed

    def _output(self, output: dict[str, Any]) -> None:
        kind = output.get("output_type")
        if kind == "stream":
            output["text"] = self.redact(_joined(output.get("text", "")))
        elif kind == "error":
            output["ename"] = self.redact(str(output.get("ename", "")))
            output["evalue"] = self.redact(str(output.get("evalue", "")))
            output["traceback"] = [self.redact(str(line)) for line in output.get("traceback", [])]
        elif isinstance(output.get("data"), dict):
            kept = self._data(output["data"])
            output["data"].clear()  # in place: nbconvert's NotebookNode stays one
            output["data"].update(kept)

    def _data(self, data: dict[str, Any]) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for mimetype, value in data.items():
            if mimetype in _IMAGES:
                kept[mimetype] = value
                continue
            if isinstance(value, str | list) and mimetype.startswith("text/"):
                value = self.redact(_joined(value))
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            if mimetype != "text/plain":
                shown = html_text(shown)
            if not self.leaks(shown):
                kept[mimetype] = value
        return kept or {"text/plain": REDACTED}


def _joined(value: Any) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value)
