"""Link tokens (SPEC §5): long, random, single-purpose, stored only as hashes.

A token is an HMAC of the booking's random salt under SECRET_KEY, so the
worker can put it into a mail without the database ever holding it.
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


def make_token(*, salt: str, purpose: str) -> str:
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"madoguchi:{purpose}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
