"""API keys and session cookies: random secrets, kept only as SHA-256 digests.

A key or session token carries 256 random bits, so its SHA-256 cannot be reversed or
guessed; a slow KDF protects only secrets people choose, and would cost every request.
Session cookies are also signed (HMAC-SHA256 with the service's secret), so a forged or
damaged cookie is refused before any database read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

KEY_PREFIX = "kefu_"
PREFIX_CHARS = 8  # after "kefu_": enough to tell keys apart in a list, useless to guess
SECRET_FILE = "secret_key"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> tuple[str, str]:
    """A new key and the prefix shown for it in lists."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(KEY_PREFIX) + PREFIX_CHARS]


def looks_like_key(text: str) -> bool:
    return text.startswith(KEY_PREFIX) and 20 <= len(text) <= 200


def _mac(secret: bytes, token: str) -> str:
    raw = hmac.new(secret, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_session_cookie(secret: bytes) -> tuple[str, str]:
    """A cookie value (token.signature) and the digest the session row is kept under."""
    token = secrets.token_urlsafe(32)
    return f"{token}.{_mac(secret, token)}", digest(token)


def session_digest(secret: bytes, cookie: str) -> str | None:
    """The session's digest if the cookie's signature holds, else None."""
    token, dot, signature = cookie.rpartition(".")
    if not dot or not token or len(cookie) > 200:
        return None
    if not hmac.compare_digest(_mac(secret, token), signature):
        return None
    return digest(token)


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, or one kept in the data folder (made on first start, 0600).

    Replicas with separate data folders must share KEFU_SECRET_KEY, or a session from
    one is unknown to the others.
    """
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another worker (or an earlier start) made it
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    for _ in range(50):  # a worker that lost the race may read before the winner wrote
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it to make a new one")
