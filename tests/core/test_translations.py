from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("portal/**/locale/en/LC_MESSAGES/django.po"))


def test_there_is_an_english_catalogue_for_the_portal_and_for_sign_in():
    names = {path.relative_to(ROOT).parts[1] for path in CATALOGS}
    assert {"locale", "accounts"} <= names


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_english_message_is_translated_and_well_formed(catalog):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed (make test installs it)"

    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(catalog)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
