"""`kefu check`: is the library complete, and does every reply render?"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateSyntaxError

from app.compiled import validate_replies
from app.errors import LibraryError
from app.library import Category, Library, Tone, Triggers, load_library
from app.rendering import SHOP, make_environment, used_names

MIN_EXAMPLES = 8
# `kefu check --stamp` writes the digest of a library that passed into its folder; a
# first start seeding the store from that folder skips re-rendering every reply (seconds)
# when the content is exactly what was checked. Any edit changes the digest.
STAMP_FILE = "_checked.sha256"


def library_digest(library: Library) -> str:
    """SHA-256 of the library's canonical JSON: equal content, equal digest."""
    payload = json.dumps(library.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def is_stamped(folder: Path, library: Library) -> bool:
    """True when `folder` holds the stamp of exactly this library's content."""
    try:
        stamp = (folder / STAMP_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return stamp == library_digest(library)


def write_stamp(folder: Path, library: Library) -> None:
    (folder / STAMP_FILE).write_text(library_digest(library) + "\n", encoding="utf-8")


@dataclass
class CheckReport:
    """What `kefu check` found: the coverage tables and every problem."""

    library: Library
    locales: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _gaps(library: Library, locales: list[str], min_examples: int) -> list[str]:
    problems: list[str] = []
    for template in library.templates():
        for locale in locales:
            tones = template.replies.get(locale, {})
            missing = [t.value for t in Tone if t not in tones]
            if missing:
                problems.append(f"{template.id}: {locale} lacks tone(s) {', '.join(missing)}")
            if template.busy is None:
                examples = len(template.triggers.get(locale, Triggers()).examples)
                if examples < min_examples:
                    problems.append(
                        f"{template.id}: {locale} has {examples} trigger examples"
                        f" (at least {min_examples} wanted)"
                    )
    return problems


def _inconsistent_variables(library: Library) -> list[str]:
    """A variable one locale's reply shows and another's omits (per tone)."""
    env = make_environment()
    problems: list[str] = []
    for template in library.templates():
        for tone in Tone:
            used: dict[str, frozenset[str]] = {}
            for locale, by_tone in template.replies.items():
                if tone in by_tone:
                    try:
                        used[locale] = frozenset(used_names(env, by_tone[tone]) - {SHOP})
                    except TemplateSyntaxError:
                        continue  # reported by the render check
            reference = used.get(library.shop.default_locale) or next(iter(used.values()), None)
            for locale, names in used.items():
                if reference is not None and names != reference:
                    problems.append(
                        f"{template.id}: {locale}/{tone.value} uses {sorted(names)} but"
                        f" {library.shop.default_locale} uses {sorted(reference)}"
                    )
    return problems


def check_library(path: Path, min_examples: int = MIN_EXAMPLES) -> CheckReport:
    """Check a library folder, or one category file against its folder's shop and variables."""
    if path.is_file():
        folder = path.parent
        library = load_library(folder, only=path)
    else:
        library = load_library(path)
    locales = library.locales
    report = CheckReport(library=library, locales=locales)
    report.problems.extend(_gaps(library, locales, min_examples))
    report.problems.extend(_inconsistent_variables(library))
    try:
        validate_replies(library)
    except LibraryError as exc:
        report.problems.extend(
            f"{d['template']} [{d['locale']}/{d['tone']}]: {d['problem']}" for d in exc.details
        )
    return report


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def coverage_text(report: CheckReport) -> str:
    """Categories × locales (templates complete in all tones) and triggers per language."""
    library = report.library
    categories: list[Category] = list(library.categories.values())
    header = ["category", *report.locales]
    rows = []
    for category in categories:
        row = [category.id]
        for locale in report.locales:
            full = sum(1 for t in category.templates if len(t.replies.get(locale, {})) == len(Tone))
            row.append(f"{full}/{len(category.templates)}")
        rows.append(row)
    languages = sorted({lang for t in library.templates() for lang in t.triggers})
    trig_rows = []
    for category in categories:
        row = [category.id]
        for lang in languages:
            counts = [
                len(t.triggers[lang].examples) if lang in t.triggers else 0
                for t in category.templates
                if t.busy is None
            ]
            row.append(f"{min(counts)}" if counts else "-")
        trig_rows.append(row)
    total = len(library.templates()) * len(report.locales) * len(Tone)
    present = sum(
        1
        for t in library.templates()
        for loc in report.locales
        for tone in Tone
        if tone in t.replies.get(loc, {})
    )
    pct = 100.0 * present / total if total else 0.0
    return "\n".join(
        [
            "Replies: templates with all three tones, per category and locale",
            _table(header, rows),
            "",
            "Triggers: fewest examples of any template, per category and language",
            _table(["category", *languages], trig_rows) if languages else "(none)",
            "",
            f"Coverage: {present}/{total} locale × tone replies ({pct:.1f}%),"
            f" {len(library.templates())} templates, {len(report.locales)} locales",
        ]
    )
