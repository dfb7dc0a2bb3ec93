"""Encryption of secrets stored in the database (Slack client secrets and bot tokens,
webhook signing secrets): Fernet (AES-128-CBC + HMAC-SHA256) under keys derived from
`SECRETS_ENCRYPTION_KEYS`, the first of which encrypts; the others still decrypt, so a key
can be rotated without re-encrypting every row at once."""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UndecryptableSecret(Exception):
    """The stored value was encrypted under a key that is no longer configured."""


@functools.cache
def _fernet() -> MultiFernet:
    keys = settings.SECRETS_ENCRYPTION_KEYS or [settings.SECRET_KEY]
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())) for key in keys]
    )


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret from exc
