"""Settings, read from the environment with the prefix ``KEFU_``.

Every field is documented in ``docs/configuration.md``; a test checks that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.suggest import DEFAULT_MIN_CONFIDENCE

SHIPPED_REPLIES = Path(__file__).resolve().parent.parent / "replies"
SHIPPED_LOCALES = Path(__file__).resolve().parent.parent / "locales"


class Settings(BaseSettings):
    """What an operator can change without touching code."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", frozen=True)

    data_dir: Path = Field(Path("data"), description="Folder for the service's state.")
    replies_dir: Path = Field(
        SHIPPED_REPLIES, description="Library folder imported into an empty store on first start."
    )
    locales_dir: Path = Field(
        SHIPPED_LOCALES, description="Folder of the pages' gettext catalogs (`.po` files)."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store; default: SQLite file data_dir/kefu.db.",
    )
    unmatched_retention_days: int = Field(
        30, ge=0, le=3650, description="Days the text of unmatched messages is kept; counts stay."
    )
    reload_interval: float = Field(
        0.5, gt=0, le=60, description="Seconds between checks for a newer library in the store."
    )
    min_confidence: float = Field(
        DEFAULT_MIN_CONFIDENCE,
        ge=0.0,
        le=1.0,
        description="Below this, a match is a low-confidence guess.",
    )
    max_message_chars: int = Field(2000, ge=1, description="Longest buyer message accepted.")
    max_body_bytes: int = Field(65536, ge=1024, description="Largest request body accepted.")
    max_suggestions: int = Field(10, ge=1, le=50, description="Upper bound for `limit`.")
    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines as JSON objects (one per line) or as plain text."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest level logged; `kefu serve --log-level` overrides it."
    )
    access_log: bool = Field(
        True, description="One log line per request (with its request id, route, status, time)."
    )
    max_variables: int = Field(
        50, ge=1, le=1000, description="Most entries a request's `variables` may have."
    )
    max_variable_chars: int = Field(
        500, ge=1, le=10_000, description="Longest text value of one request variable."
    )
    sqlite_busy_timeout: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Seconds a SQLite write waits for another process's lock before failing.",
    )
    locale_fallbacks: dict[str, list[str]] = Field(
        default_factory=lambda: {"pt": ["pt-BR"], "zh-Hant": ["zh-Hans"], "zh": ["zh-Hans"]},
        description="Where a wanted reply locale goes before the library default (JSON).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs session cookies; default: a random one kept in data_dir/secret_key. "
        "Replicas with separate data folders must share one.",
    )
    session_hours: float = Field(
        12, gt=0, le=24 * 90, description="A sign-in lasts this long (then sign in again)."
    )
    cookie_secure: bool = Field(
        False, description="Mark the session cookie Secure: set it when kefu is served over https."
    )
    login_max_failures: int = Field(
        5, ge=1, le=1000, description="Failed sign-ins in a row that lock an account."
    )
    login_lockout_minutes: float = Field(
        15, ge=0, le=24 * 60, description="How long a locked account stays locked."
    )
    login_rate_per_minute: int = Field(
        10, ge=0, description="Sign-in attempts a minute per client address and per name (0: off)."
    )
    suggest_rate_per_minute: int = Field(
        600, ge=0, description="Suggestions a minute per API key or account (0: off)."
    )


def database_url(settings: Settings) -> str:
    """The store's URL: the configured one, or a SQLite file in the data folder."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / 'kefu.db').resolve()}"
