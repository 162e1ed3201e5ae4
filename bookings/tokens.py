"""Link tokens (SPEC §5): long, random, single-purpose, stored only as hashes.

A token is an HMAC of the booking's random salt under SECRET_KEY, so the
worker can put it into a mail without the database ever holding it. A link
is checked by the hash alone, so it keeps working whatever the key; a mail
written after the key was replaced must still carry the link whose hash is
stored, so the token is remade under whichever key (SECRET_KEY, then
SECRET_KEY_FALLBACKS) gives the stored hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

CONFIRM = "confirm"
CANCEL = "cancel"


def new_salt() -> str:
    return secrets.token_hex(16)


def make_token(*, salt: str, purpose: str, key: str | None = None) -> str:
    secret = (settings.SECRET_KEY if key is None else key).encode()
    digest = hmac.new(secret, f"madoguchi:{purpose}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stored_token(*, salt: str, purpose: str, stored_hash: str) -> str | None:
    """The token whose hash is stored, made under the current key or a fallback; None if none."""
    for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        token = make_token(salt=salt, purpose=purpose, key=key)
        if hmac.compare_digest(token_hash(token), stored_hash):
            return token
    return None
