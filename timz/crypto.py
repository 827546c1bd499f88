"""Secrets Timz must send back out (a pro's CalDAV app password, the address of each of their
calendars: a secret ICS link is a credential), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from
``settings.CALENDAR_SECRET_KEY`` (by default the project's SECRET_KEY; see docs/deploy.md).
Changing that key makes the stored secrets unreadable: ``decrypt`` then raises SecretUnreadable
and the pro is asked to add the calendar again.
"""

from base64 import urlsafe_b64encode
from hashlib import sha256

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(ValueError):
    """The stored secret was encrypted with another key (or is damaged)."""


def _fernet() -> Fernet:
    digest = sha256(b"timz-secret-v1:" + settings.CALENDAR_SECRET_KEY.encode()).digest()
    return Fernet(urlsafe_b64encode(digest))


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("The stored password can no longer be read.") from exc
