"""``python manage.py create_api_token USERNAME [--name NAME] [--scopes read,submit]
[--expires-days N]``: a personal access token for the API, printed once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts import tokens
from portal.accounts.messages import TokenRefused
from portal.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a personal access token for USERNAME and print it (only its hash is kept). "
        "Without --expires-days the token does not expire."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="linha de comando")
        parser.add_argument(
            "--scopes",
            default="read",
            help="comma-separated, of: " + ", ".join(tokens.SCOPES) + " (default: read)",
        )
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, username: str, name: str, scopes: str, expires_days, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        try:
            created = tokens.api_token_create(
                user=user,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                expires_days=expires_days,
            )
        except TokenRefused as exc:
            raise CommandError(str(exc)) from exc
        token = created.token
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stderr.write(
            f"token {token.name!r} for {user.username}: scopes {','.join(token.scopes)}, "
            f"expires {expiry}. It is shown once; keep it like a password."
        )
        self.stdout.write(created.secret)
