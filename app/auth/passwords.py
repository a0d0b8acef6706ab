"""Password hashing with scrypt from the standard library.

scrypt is memory-hard (a GPU or ASIC pays for memory as well as time per guess) and
ships with Python through OpenSSL, so no compiled dependency is added to the image.
The parameters are OWASP's scrypt equivalent at 32 MiB (N=2^15, r=8, p=3); they are
stored in every hash, so raising them later only affects new passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**15, 8, 3
SALT_BYTES, KEY_BYTES = 16, 32
MIN_LENGTH, MAX_LENGTH = 10, 256  # a longer "password" is only work for the KDF
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n, dklen=KEY_BYTES
    )


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$key`, salt and key in unpadded base64url."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches; the comparison takes the same time wherever they differ."""
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        derived = _derive(password, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, _unb64(key))
    except (ValueError, MemoryError):
        return False


# The hash of a random password nobody kept: same parameters, so the same work.
_DECOY = "scrypt$32768$8$3$y5MVbILO8KXxxifSVFhZ-w$mvU0LtK0HGiXBY1QkJpyTGcr_fH3PH1tAzvFXFDHv-Y"


def burn_time(password: str) -> None:
    """Do the work of one verification for a name that does not exist, so the answer
    takes as long as for one that does and timing does not tell which names exist."""
    verify_password(password, _DECOY)


def generate_password(length: int = 20) -> str:
    """Easy to type from a console (no look-alike characters); about 115 bits at 20."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    return None
