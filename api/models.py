"""Tokens for the API where browsing needs a sign-in (`CAREREVIEW_REQUIRE_LOGIN`)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

# Every token starts so, which tells it apart from a password in a log or a file.
TOKEN_PREFIX = "crv_"
# Characters of the secret kept in clear to tell tokens apart in admin: too few to guess by.
SHOWN_CHARS = 8


def token_hash(secret: str) -> str:
    """The stored form of a secret: a 256-bit random secret needs no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def issue(self, *, name: str, owner) -> tuple["ApiToken", str]:
        """A new token for `owner`, and its secret: shown once, then only its hash is kept."""
        token = self.model(name=name, owner=owner)
        secret = token.new_secret()
        token.save()
        return token, secret

    def authenticate(self, secret: str) -> "ApiToken | None":
        """The live token whose secret this is, marked used now; None for a secret that is
        unknown or revoked."""
        token = self.filter(key_hash=token_hash(secret), revoked__isnull=True).first()
        if token is not None:
            token.last_used = timezone.now()
            self.filter(pk=token.pk).update(last_used=token.last_used)
        return token

    def revoke(self) -> int:
        """Revoke these tokens from now on; those revoked already keep their date."""
        return self.filter(revoked__isnull=True).update(revoked=timezone.now())


class ApiToken(models.Model):
    """A read-only key to the API, issued to a person in admin. Only the hash of its
    secret is stored: the secret is shown once, when the token is issued."""

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. a project.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    shown = models.CharField(
        "starts with", max_length=20, editable=False, help_text="The secret's first characters."
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.name} ({self.shown}…)"

    def new_secret(self) -> str:
        """Give the token a fresh secret, kept as its hash, and return it (unsaved)."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.key_hash = token_hash(secret)
        self.shown = secret[: len(TOKEN_PREFIX) + SHOWN_CHARS]
        return secret
