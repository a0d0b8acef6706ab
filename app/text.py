"""Normalisation shared by matching, language and tone detection.

One pass over the message yields the folded text used for matching and the signals
(scripts, emoji, punctuation runs, capitals) that detection and tone read. Nothing here
depends on the library, so a message is normalised once per request.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import opencc

# Code point ranges of the scripts detection cares about, checked in this order.
_SCRIPT_RANGES: tuple[tuple[str, int, int], ...] = (
    ("Latin", 0x0041, 0x024F),
    ("Hiragana", 0x3040, 0x309F),
    ("Katakana", 0x30A0, 0x30FF),
    ("Han", 0x4E00, 0x9FFF),
    ("Han", 0x3400, 0x4DBF),
    ("Han", 0x20000, 0x2EBEF),
    ("Hangul", 0xAC00, 0xD7AF),
    ("Hangul", 0x1100, 0x11FF),
    ("Hangul", 0x3130, 0x318F),
    ("Cyrillic", 0x0400, 0x04FF),
    ("Arabic", 0x0600, 0x06FF),
    ("Arabic", 0x0750, 0x077F),
    ("Arabic", 0xFB50, 0xFDFF),
    ("Arabic", 0xFE70, 0xFEFF),
    ("Thai", 0x0E00, 0x0E7F),
    ("Hebrew", 0x0590, 0x05FF),
    ("Devanagari", 0x0900, 0x097F),
    ("Bengali", 0x0980, 0x09FF),
    ("Tamil", 0x0B80, 0x0BFF),
    ("Greek", 0x0370, 0x03FF),
    ("Latin", 0x1E00, 0x1EFF),  # Vietnamese letters with stacked marks
)
UNSPACED_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Thai"})

_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_QUESTION_RUN = re.compile(r"[?？]{2,}")
_EXCLAIM_RUN = re.compile(r"[!！]{2,}")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


@lru_cache(maxsize=4)
def _s2t(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str, region: str = "TW") -> str:
    """Simplified → Traditional with the region's vocabulary (Taiwan or Hong Kong)."""
    return str(_s2t("s2hk.json" if region == "HK" else "s2twp.json").convert(text))


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (other text passes through unchanged)."""
    return str(_t2s().convert(text))


def script_of(char: str) -> str | None:
    code = ord(char)
    if code < 0x41:
        return None
    for name, low, high in _SCRIPT_RANGES:
        if low <= code <= high:
            return "Latin" if name == "Latin" and not char.isalpha() else name
    return None


def is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        0x1F300 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x1F000 <= code <= 0x1F2FF
        or code in (0x2B50, 0x2764, 0x263A)
    )


@dataclass(frozen=True, slots=True)
class Normalized:
    """A buyer message folded for matching, with the signals read from it."""

    original: str
    folded: str  # NFKC, case-folded, repeats squeezed, Traditional → Simplified
    match_text: str  # `folded` without punctuation or emoji, single-spaced
    scripts: dict[str, int]
    emoji: tuple[str, ...]
    question_runs: int
    exclaim_runs: int
    caps_ratio: float  # share of upper-case letters among cased letters
    letters: int

    @property
    def main_script(self) -> str | None:
        if not self.scripts:
            return None
        return max(self.scripts.items(), key=lambda kv: kv[1])[0]

    @property
    def unspaced(self) -> bool:
        """True when the message is mostly written without spaces between words."""
        total = sum(self.scripts.values())
        unspaced = sum(n for s, n in self.scripts.items() if s in UNSPACED_SCRIPTS)
        return total > 0 and unspaced * 2 >= total


def _strip_marks(char: str) -> str:
    """Punctuation and symbols become spaces; letters, digits and marks stay."""
    category = unicodedata.category(char)
    if category[0] in "LNM" or char.isspace():
        return char
    return " "


def normalize(message: str) -> Normalized:
    """Fold a message for matching and read its signals."""
    text = unicodedata.normalize("NFKC", message)
    scripts: Counter[str] = Counter()
    emoji: list[str] = []
    upper = cased = 0
    for char in text:
        if is_emoji(char):
            emoji.append(char)
            continue
        script = script_of(char)
        if script is not None:
            scripts[script] += 1
        if char.isupper():
            upper += 1
            cased += 1
        elif char.islower():
            cased += 1
    folded = text.casefold()
    folded = _REPEATS.sub(r"\1", folded)
    if scripts.get("Han"):
        folded = to_simplified(folded)
    match_text = _SPACES.sub(" ", "".join(_strip_marks(c) for c in folded)).strip()
    return Normalized(
        original=message,
        folded=folded,
        match_text=match_text,
        scripts=dict(scripts),
        emoji=tuple(emoji),
        question_runs=len(_QUESTION_RUN.findall(text)),
        exclaim_runs=len(_EXCLAIM_RUN.findall(text)),
        caps_ratio=(upper / cased) if cased else 0.0,
        letters=sum(scripts.values()),
    )
