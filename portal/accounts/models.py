from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who uses the portal.

    Microsoft accounts are identified by (tenant id, object id), never by e-mail:
    an e-mail address can be renamed or reassigned, the object id cannot.

    What someone may do in a course comes from their enrolment in it (student or
    instructor, ``courses.Enrollment``); being an admin of the whole portal is the only
    role that belongs to the person.
    """

    full_name = models.CharField(_("nome completo"), max_length=200, blank=True)
    is_portal_admin = models.BooleanField(
        _("administrador do portal"),
        default=False,
        help_text=_("Vê e administra todos os cursos. Papéis em um curso vêm das matrículas."),
    )
    entra_tenant_id = models.CharField(_("tenant Entra"), max_length=64, blank=True)
    entra_object_id = models.CharField(_("object id Entra"), max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entra_tenant_id", "entra_object_id"],
                condition=~Q(entra_object_id=""),
                name="unique_entra_identity",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.email or self.username

    @property
    def is_admin(self) -> bool:
        return self.is_portal_admin or self.is_superuser


class ApiToken(models.Model):
    """A personal access token for the REST API (``Authorization: Bearer mle_...``).

    Only the SHA-256 of the token is kept: the token is 192 random bits, so a fast hash is
    enough (nothing to guess), and a leaked table gives nobody a way in. ``prefix`` is the
    first characters, shown on the profile page so people can tell their tokens apart.
    """

    class Scope(models.TextChoices):
        READ = "read", _("ler")
        SUBMIT = "submit", _("enviar tentativas")
        MANAGE = "manage", _("administrar turmas")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nome"), max_length=80)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes
