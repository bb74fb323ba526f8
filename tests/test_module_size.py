"""No module of the portal or the autograder grows past 600 lines: split it along a seam first."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


def test_no_module_is_over_600_lines():
    sizes = {
        path.relative_to(ROOT): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("portal", "autograder")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }

    assert len(sizes) > 100  # both packages were read
    too_long = {str(path): lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"over {MAX_LINES} lines: {too_long}"
