from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.core.env import envbool, envdict, envint, envlist, envsecret

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 64 + "-a-long-random-production-key-0123456789",
    "ALLOWED_HOSTS": "mle.example.edu",
    "DATABASE_URL": "postgres://portal:secret@db.example.edu:5432/portal",
    "ENTRA_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
    "ENTRA_CLIENT_SECRET": "client-secret",
    "ENTRA_ALLOWED_TENANTS": "11111111-2222-3333-4444-555555555555",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "REDIS_URL": "redis://cache.example.edu:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "DEV_SIGNIN_ENABLED", "DATABASE_URL", "SECRET_KEY")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_the_laptop_defaults():
    result = manage("check", "--deploy", env={})

    assert result.returncode != 0
    for check_id in ("portal.E001", "portal.E002", "portal.E004", "portal.W001"):
        assert check_id in result.stderr


def test_production_settings_refuse_the_demo_sign_in():
    result = manage("check", env={**PRODUCTION_ENV, "DEV_SIGNIN_ENABLED": "true"})

    assert result.returncode != 0
    assert "DEV_SIGNIN_ENABLED=true is refused when DEBUG is off" in result.stderr


def test_a_typo_in_a_boolean_setting_fails_at_start_up():
    result = manage("check", env={"DEBUG": "ture"})

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("Yes", True), ("off", False), ("", False)]
)
def test_envbool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG") is expected


def test_envint_rejects_words(monkeypatch):
    monkeypatch.setenv("LIMIT", "ten")
    with pytest.raises(ImproperlyConfigured, match="LIMIT must be an integer"):
        envint("LIMIT", 1)


def test_envlist_and_envdict(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.edu, ,b.edu ")
    monkeypatch.setenv("ROLES", "Portal.Admin=admin, Portal.Teacher = instructor")
    assert envlist("HOSTS") == ["a.edu", "b.edu"]
    assert envdict("ROLES") == {"Portal.Admin": "admin", "Portal.Teacher": "instructor"}
    monkeypatch.setenv("ROLES", "Portal.Admin")
    with pytest.raises(ImproperlyConfigured, match="key=value"):
        envdict("ROLES")


def test_envsecret_prefers_the_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("TOKEN", "from-env")
    monkeypatch.setenv("TOKEN_FILE", str(secret_file))
    assert envsecret("TOKEN") == "from-file"
    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        envsecret("TOKEN")
