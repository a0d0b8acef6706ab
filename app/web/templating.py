"""The pages' Jinja environment: autoescaped HTML, gettext with trimmed blocks.

It is separate from the replies' sandbox (`app.rendering`): these templates are ours,
the replies are the managers'. Anything a manager wrote reaches a page only as data,
escaped on output.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.web import i18n

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _gettext(message: str) -> str:
    return i18n.gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    translations = i18n._current.get(None)
    if translations is not None:
        return translations.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def static_version() -> str:
    """A hash of the static files, so browsers re-fetch them after an upgrade."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def make_ui_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    version = static_version()
    env.globals["static"] = lambda name: f"/static/{name}?v={version}"
    return env
