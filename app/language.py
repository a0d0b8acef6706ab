"""Which language the buyer wrote in, and which locale the reply is in.

Detection reads the script first (Han, Kana, Hangul, Cyrillic, Arabic, Thai decide
alone), then, for Latin text, marker words and letters; where the text cannot decide,
the caller's hint or the shop's default language does, and `detected_by` says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.text import Normalized, to_simplified


class DetectedBy(StrEnum):
    """What decided the language."""

    script = "script"
    words = "words"
    hint = "hint"
    default = "default"


class LocaleMatch(StrEnum):
    """How the reply's locale relates to the wanted one."""

    exact = "exact"
    related = "related"  # same language, other region or script (pt-BR for pt-PT)
    converted = "converted"  # zh-Hans text converted to Traditional characters
    fallback = "fallback"  # the library's default locale


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The buyer's language with how sure we are and what decided it."""

    code: str
    confidence: float
    detected_by: DetectedBy


_SCRIPT_LANGUAGE = {
    "Hangul": "ko",
    "Thai": "th",
    "Arabic": "ar",
    "Hebrew": "he",
    "Devanagari": "hi",
    "Bengali": "bn",
    "Tamil": "ta",
    "Greek": "el",
}

# Letters and short words that mark a Latin-script language in chat.
_MARKERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "es": (
        "ñ¿¡",
        (
            "hola",
            "gracias",
            "por",
            "favor",
            "cuando",
            "cuándo",
            "envío",
            "envio",
            "quiero",
            "puedo",
            "pedido",
            "está",
            "tienen",
            "precio",
            "buenas",
            "qué",
        ),
    ),
    "fr": (
        "çœ",
        (
            "bonjour",
            "salut",
            "merci",
            "je",
            "vous",
            "est",
            "pas",
            "livraison",
            "mon",
            "commande",
            "quand",
            "c'est",
            "très",
            "avec",
            "pour",
            "colis",
        ),
    ),
    "de": (
        "ßäöü",
        (
            "hallo",
            "danke",
            "ich",
            "nicht",
            "ist",
            "und",
            "bitte",
            "wann",
            "meine",
            "bestellung",
            "sie",
            "das",
            "mit",
            "guten",
            "tag",
            "lieferung",
        ),
    ),
    "pt": (
        "ãõ",
        (
            "olá",
            "ola",
            "obrigado",
            "obrigada",
            "não",
            "você",
            "voce",
            "frete",
            "quando",
            "pedido",
            "meu",
            "oi",
            "tudo",
            "bem",
            "entrega",
        ),
    ),
    "it": (
        "",
        (
            "ciao",
            "grazie",
            "sono",
            "non",
            "perché",
            "spedizione",
            "quando",
            "ordine",
            "buongiorno",
            "mio",
            "è",
            "della",
        ),
    ),
    "nl": (
        "",
        (
            "hallo",
            "bedankt",
            "dank",
            "ik",
            "niet",
            "het",
            "een",
            "wanneer",
            "verzending",
            "mijn",
            "bestelling",
            "hoi",
            "goedemorgen",
            "wel",
        ),
    ),
    "tr": (
        "şğı",
        (
            "merhaba",
            "teşekkür",
            "teşekkürler",
            "ne",
            "zaman",
            "kargo",
            "sipariş",
            "siparişim",
            "ürün",
            "bir",
            "mı",
            "mi",
        ),
    ),
    "vi": ("đơư", ("chào", "cảm", "ơn", "không", "bao", "giờ", "hàng", "đơn", "shop", "ạ", "được")),
    "id": (
        "",
        (
            "halo",
            "terima",
            "kasih",
            "apa",
            "kapan",
            "kirim",
            "barang",
            "kak",
            "gan",
            "sudah",
            "belum",
            "pesanan",
            "bisa",
            "ya",
        ),
    ),
    "pl": (
        "łąęśżźćń",
        (
            "cześć",
            "dziękuję",
            "dzięki",
            "nie",
            "kiedy",
            "zamówienie",
            "jest",
            "dzień",
            "dobry",
            "przesyłka",
        ),
    ),
    "en": (
        "",
        (
            "hi",
            "hello",
            "hey",
            "thanks",
            "thank",
            "you",
            "the",
            "my",
            "is",
            "when",
            "where",
            "can",
            "order",
            "please",
            "what",
            "i",
            "it",
            "do",
            "are",
            "ship",
        ),
    ),
}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _latin_language(norm: Normalized) -> tuple[str, float] | None:
    words = _WORD.findall(norm.folded)
    if not words:
        return None
    letters = set(norm.folded)
    scores: dict[str, float] = {}
    for lang, (marks, vocab) in _MARKERS.items():
        score = sum(1.0 for w in words if w in vocab)
        score += 1.5 * len(letters & set(marks))
        if score:
            scores[lang] = score
    if not scores:
        return None
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    total = sum(scores.values())
    return lang, round(min(0.95, 0.4 + 0.5 * best / total * min(1.0, best / 2)), 3)


def detect_language(
    norm: Normalized, hints: Sequence[str] = (), default: str = "en"
) -> LanguageGuess:
    """Detect the buyer's language; hints are tried in order where the text cannot decide."""
    script = norm.main_script
    if (
        script in ("Hiragana", "Katakana")
        or norm.scripts.get("Hiragana")
        or norm.scripts.get("Katakana")
    ):
        return LanguageGuess("ja", 0.95, DetectedBy.script)
    if script == "Han":
        traditional = to_simplified(norm.original) != norm.original
        return LanguageGuess("zh-Hant" if traditional else "zh-Hans", 0.95, DetectedBy.script)
    if script == "Cyrillic":
        ukrainian = any(c in norm.folded for c in "іїєґ")
        return LanguageGuess("uk" if ukrainian else "ru", 0.9, DetectedBy.script)
    if script in _SCRIPT_LANGUAGE:
        code = _SCRIPT_LANGUAGE[script]
        if code == "ar" and any(c in norm.folded for c in "پچژگ"):
            code = "fa"
        return LanguageGuess(code, 0.9, DetectedBy.script)
    if script == "Latin":
        found = _latin_language(norm)
        if found is not None and found[1] >= 0.6:
            return LanguageGuess(found[0], found[1], DetectedBy.words)
        if hints:
            return LanguageGuess(hints[0], 0.5, DetectedBy.hint)
        if found is not None:
            return LanguageGuess(found[0], found[1], DetectedBy.words)
    if hints:
        return LanguageGuess(hints[0], 0.5, DetectedBy.hint)
    return LanguageGuess(default, 0.3, DetectedBy.default)


def base_language(tag: str) -> str:
    return tag.split("-")[0].lower()


def negotiate_locale(
    wanted: str, available: Iterable[str], default: str
) -> tuple[str, LocaleMatch]:
    """Choose a reply locale among those a template has.

    Exact tag, then the same language (pt-PT → pt-BR), then zh-Hant from zh-Hans text
    (converted to Traditional), then the library default.
    """
    have = list(available)
    lowered = {tag.lower(): tag for tag in have}
    if wanted.lower() in lowered:
        return lowered[wanted.lower()], LocaleMatch.exact
    base = base_language(wanted)
    traditional = wanted.lower() in ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
    if base == "zh":
        script_tag = "zh-Hant" if traditional else "zh-Hans"
        if script_tag.lower() in lowered:
            return lowered[script_tag.lower()], LocaleMatch.exact
        if traditional and "zh-hans" in lowered:
            return lowered["zh-hans"], LocaleMatch.converted
    related = [tag for tag in have if base_language(tag) == base]
    if related:
        return sorted(related)[0], LocaleMatch.related
    if default in have:
        return default, LocaleMatch.fallback
    return sorted(have)[0], LocaleMatch.fallback
