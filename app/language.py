"""Which language the buyer wrote in, and which locale the reply is in.

The script decides first (Hangul, Kana, Han, Thai… need no statistics), and Traditional
versus Simplified Chinese is read from the characters with OpenCC. Latin, Cyrillic and
Arabic-script text goes to py3langid (its model ships inside the package), restricted to
the languages of that script. A chat message of a word or two is where every detector
fails ("hi", "ok?", "merci"): there the library's own triggers (a close match of a Spanish
trigger is Spanish), then the caller's hints, then the shop's default decide, and
`detected_by` says which. See docs/language.md for the detector comparison.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from app.text import Normalized, to_simplified


class DetectedBy(StrEnum):
    """What decided the language."""

    script = "script"
    detector = "detector"
    triggers = "triggers"
    hint = "hint"
    default = "default"


class LocaleMatch(StrEnum):
    """How the reply's locale relates to the wanted one."""

    exact = "exact"
    related = "related"  # same language, other region (pt-BR for pt-PT)
    converted = "converted"  # zh-Hans text converted to Traditional characters
    fallback = "fallback"  # the library's default locale


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The buyer's language with how sure we are and what decided it."""

    code: str
    confidence: float
    detected_by: DetectedBy


# Scripts that name their language alone.
_SCRIPT_LANGUAGE = {
    "Hangul": "ko",
    "Thai": "th",
    "Hebrew": "he",
    "Greek": "el",
    "Bengali": "bn",
    "Tamil": "ta",
}
# Scripts shared by several languages: the detector chooses among these.
_SCRIPT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "Latin": tuple(
        "en es fr de pt it nl pl tr vi id ms tl sv da no fi cs sk ro hu hr ca sw af".split()
    ),
    "Cyrillic": ("ru", "uk", "bg", "sr", "be", "kk"),
    "Arabic": ("ar", "fa", "ur"),
    "Devanagari": ("hi", "mr", "ne"),
}
# The languages the shipped library speaks, and how much more likely a shop hears them.
SUPPORTED = frozenset("en es fr de pt it nl pl tr vi id ru ar zh ja ko th".split())
PRIOR = 4.0
# Below this many letters, a detector's guess on Latin text is a coin toss.
SHORT_LETTERS = 12
TRIGGER_EVIDENCE = 0.75  # similarity of a trigger that lets its language decide


# The model takes about a second to load (mostly LZMA, which runs without the GIL): the
# service starts loading it first thing, and a request that needs it meanwhile waits for
# that load under this lock instead of starting a second one.
_MODEL_LOCK = threading.RLock()


def _identifier() -> Any:
    """py3langid's model, loaded once per process (about a second, ~100 MB)."""
    with _MODEL_LOCK:
        return _load_identifier()


@lru_cache(maxsize=1)
def _load_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _restricted(script: str) -> Any:
    """A detector restricted to one script's languages (cheaper and more accurate)."""
    found = _RESTRICTED.get(script)
    if found is None:
        with _MODEL_LOCK:
            found = _build_restricted(script)
            _RESTRICTED[script] = found
    return found


_RESTRICTED: dict[str, Any] = {}


def _build_restricted(script: str) -> Any:
    from py3langid.langid import LanguageIdentifier

    full = _identifier()
    ident = LanguageIdentifier(
        full.nb_ptc,
        full.nb_pc,
        full.nb_classes,
        full.tk_nextmove,
        full.tk_output,
        norm_probs=True,
        tk_row=full.tk_row,
    )
    ident.set_languages(_SCRIPT_CANDIDATES[script])
    return ident


def warm_up() -> None:
    """Load the detector now, so the first request does not pay for it."""
    for script in _SCRIPT_CANDIDATES:
        _restricted(script).classify("warm up")


def _chinese(norm: Normalized) -> LanguageGuess:
    """Traditional when enough characters change under OpenCC's t2s.

    A mainland buyer's message may carry a stray Traditional character ("沒"); one in ten
    does not make the buyer a Taipei one.
    """
    simplified = to_simplified(norm.original)
    changed = sum(1 for a, b in zip(norm.original, simplified, strict=False) if a != b)
    han = norm.scripts.get("Han", 0) or 1
    traditional = changed >= 3 or changed / han >= 0.15
    return LanguageGuess("zh-Hant" if traditional else "zh-Hans", 0.95, DetectedBy.script)


def detect_language(
    norm: Normalized,
    hints: Sequence[str] = (),
    default: str = "en",
    trigger_language: str | None = None,
    trigger_similarity: float = 0.0,
    trigger_languages: Sequence[str] = (),
) -> LanguageGuess:
    """The buyer's main language.

    `trigger_language`/`trigger_similarity` are the library's evidence: the language of
    the closest trigger and how close it is. `hints` (request locale, Accept-Language,
    marketplace) are tried in order where the text cannot decide.
    """
    scripts = norm.scripts
    if scripts.get("Hiragana") or scripts.get("Katakana"):
        return LanguageGuess("ja", 0.97, DetectedBy.script)
    script = _main_script(scripts)
    if script == "Han":
        return _chinese(norm)
    if script in _SCRIPT_LANGUAGE:
        return LanguageGuess(_SCRIPT_LANGUAGE[script], 0.95, DetectedBy.script)
    if script in _SCRIPT_CANDIDATES:
        return _shared_script(
            norm, script, hints, default, trigger_language, trigger_similarity, trigger_languages
        )
    if hints:
        return LanguageGuess(hints[0], 0.5, DetectedBy.hint)
    return LanguageGuess(default, 0.3, DetectedBy.default)


def _shared_script(
    norm: Normalized,
    script: str,
    hints: Sequence[str],
    default: str,
    trigger_language: str | None,
    trigger_similarity: float,
    trigger_languages: Sequence[str] = (),
) -> LanguageGuess:
    """Latin, Cyrillic, Arabic…: the detector, the library's triggers, hints, the default.

    The detector's probabilities get a prior towards the library's languages: a shop
    hears far more English than Afrikaans, and "thanks bye bye" is not Afrikaans.
    """
    ranked = _restricted(script).rank(norm.folded)
    weighted = [(p * (PRIOR if lang in SUPPORTED else 1.0), lang) for lang, p in ranked]
    total = sum(p for p, _ in weighted) or 1.0
    probability, code = max(weighted)
    probability /= total
    short = norm.letters < SHORT_LETTERS
    if not short and probability >= 0.8:
        return LanguageGuess(code, round(probability, 3), DetectedBy.detector)
    trigger_fits = trigger_language is not None and _script_fits(trigger_language, script)
    if trigger_fits and trigger_similarity >= TRIGGER_EVIDENCE:
        assert trigger_language is not None
        chosen = trigger_language
        # The same words in several languages' triggers ("merci" is French, and Dutch
        # and German buyers write it too): a hint decides, else the detector's ranking
        # among those languages.
        shared = [t for t in trigger_languages if _script_fits(t, script)]
        if len(shared) > 1:
            hinted = [t for t in shared if any(base_language(h) == base_language(t) for h in hints)]
            scores = {lang: p for p, lang in weighted}
            chosen = (
                hinted[0]
                if hinted
                else max(shared, key=lambda t: scores.get(base_language(t), 0.0))
            )
        return LanguageGuess(chosen, round(trigger_similarity * 0.9, 3), DetectedBy.triggers)
    if not short and probability >= 0.5:
        return LanguageGuess(code, round(probability, 3), DetectedBy.detector)
    for hint in hints:
        if _script_fits(hint, script):
            return LanguageGuess(hint, 0.5, DetectedBy.hint)
    if _script_fits(default, script) and probability < 0.5:
        return LanguageGuess(default, 0.4, DetectedBy.default)
    return LanguageGuess(code, round(probability * 0.7, 3), DetectedBy.detector)


def _main_script(scripts: Mapping[str, int]) -> str | None:
    """The script carrying most of the message; a Han character weighs two letters."""
    if not scripts:
        return None
    weighted = {s: n * (2 if s == "Han" else 1) for s, n in scripts.items()}
    return max(weighted.items(), key=lambda kv: kv[1])[0]


def _script_fits(tag: str, script: str) -> bool:
    return base_language(tag) in _SCRIPT_CANDIDATES.get(script, ())


def base_language(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


# Where a wanted locale goes when the template lacks it, before the library default.
DEFAULT_FALLBACKS: dict[str, tuple[str, ...]] = {
    "pt": ("pt-BR",),
    "zh-Hant": ("zh-Hans",),  # converted to Traditional characters
    "zh": ("zh-Hans",),
}
_TRADITIONAL = {"zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh-hant-tw", "zh-hant-hk"}


def canonical_locale(tag: str) -> str:
    """`zh-TW` → `zh-Hant`, `zh_CN` → `zh-Hans`, `PT-br` → `pt-BR`."""
    tag = tag.replace("_", "-")
    lowered = tag.lower()
    if base_language(lowered) == "zh":
        return "zh-Hant" if lowered in _TRADITIONAL or "hant" in lowered else "zh-Hans"
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(out)


def negotiate_locale(
    wanted: str,
    available: Iterable[str],
    default: str,
    fallbacks: Mapping[str, Sequence[str]] = DEFAULT_FALLBACKS,
) -> tuple[str, LocaleMatch]:
    """Choose a reply locale among those a template has.

    Babel's negotiation (exact tag, then the bare language), then the configured fallback
    chain (pt-PT → pt-BR; zh-Hant → zh-Hans, converted), then any locale of the same
    language, then the library default.
    """
    from babel.core import negotiate_locale as babel_negotiate

    have = list(available)
    canonical = canonical_locale(wanted)
    found = babel_negotiate([canonical], have, sep="-")
    if found:
        return found, LocaleMatch.exact
    base = base_language(canonical)
    chain = [*fallbacks.get(canonical, ()), *fallbacks.get(base, ())]
    for candidate in chain:
        if candidate in have:
            if canonical == "zh-Hant" and candidate == "zh-Hans":
                return candidate, LocaleMatch.converted
            same = base_language(candidate) == base
            return candidate, LocaleMatch.related if same else LocaleMatch.fallback
    related = sorted(tag for tag in have if base_language(tag) == base and base != "zh")
    if related:
        return related[0], LocaleMatch.related
    if default in have:
        return default, LocaleMatch.fallback
    return sorted(have)[0], LocaleMatch.fallback
