"""Property tests: anything a buyer can type goes through every stage without an exception.

Messages are arbitrary Unicode (no lone surrogates: JSON cannot carry them) mixed with the
characters that break text code: right-to-left marks, zero-width joiners, combining
marks, emoji sequences, control characters, very long words, and real chat phrases so
that matching has something to find. Each call has hypothesis' deadline (see conftest).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.language import (
    _SCRIPT_CANDIDATES,
    _SCRIPT_LANGUAGE,
    SUPPORTED,
    base_language,
    detect_language,
    negotiate_locale,
)
from app.library import Library, Tone
from app.suggest import Options, Snapshot, SuggestRequest, split_asks, suggest
from app.text import normalize
from app.tone import BuyerTone, detect_tone

TRICKY = [
    "\u200f", "\u200e", "\u202e", "\u2066", "\u2069",  # bidi marks and overrides
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width characters
    "\u0301", "\u0336", "\u0489", "\u20dd", "e\u0301\u0301\u0301",  # combining marks
    "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "🇨🇳", "👍🏽", "❤️", "1\ufe0f\u20e3",  # emoji
    "\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\x7f", "\x85", "\u2028", "\u2029",  # controls
    "ß", "ﬁ", "İ", "ǅ", "ᾼ", "ͅ", "Ω", "K", "Å", "ｶ", "㍿", "①", "½",  # case and NFKC traps
    "??", "!!!", "？？", "！！", "...", "。。。", "¿", "؟",
    "在吗", "這個有貨嗎", "発送はいつですか", "배송 언제", "когда отправка", "متى الشحن",
    "when will you ship", "can u do it cheaper??", "WHERE IS MY ORDER", "hola", "merci",
    "{{7*7}}", "{% for %}", "<script>", "' OR 1=1 --",
]

pieces = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(TRICKY),
    st.text(st.sampled_from("aé中ш ا😀\u0301"), min_size=100, max_size=600),  # long words
)
messages = st.lists(pieces, max_size=12).map("".join)
# What the API lets through to the pipeline: 1–2000 characters, not blank, no NUL.
api_messages = messages.map(lambda m: m.replace("\x00", "")[:2000]).filter(str.strip)


@given(messages)
def test_normalize_never_fails_and_is_idempotent(message: str) -> None:
    norm = normalize(message)
    again = normalize(norm.folded)
    assert again.folded == norm.folded
    assert normalize(norm.match_text).match_text == norm.match_text
    assert 0.0 <= norm.caps_ratio <= 1.0
    assert norm.letters == sum(norm.scripts.values()) >= 0
    assert norm.match_text == " ".join(norm.match_text.split())


# Every language the detector can name: the library's, and those it recognises by script
# or model (a Greek buyer is told apart from a German one even if no reply is in Greek).
KNOWN = SUPPORTED | set(_SCRIPT_LANGUAGE.values()) | {
    lang for langs in _SCRIPT_CANDIDATES.values() for lang in langs
}


@given(messages, st.sampled_from([(), ("de",), ("pt-BR", "en"), ("zz-ZZ",)]))
def test_detection_names_a_known_language_and_a_reply_locale_the_library_has(
    shipped_library: Library, message: str, hints: tuple[str, ...]
) -> None:
    guess = detect_language(normalize(message), hints=hints, default="en")
    assert base_language(guess.code) in KNOWN or guess.code in (*hints, "en")
    assert 0.0 <= guess.confidence <= 1.0
    locale, _ = negotiate_locale(guess.code, shipped_library.locales, "en")
    assert locale in shipped_library.locales


@given(messages)
def test_tone_is_one_of_the_known_tones_with_a_bounded_confidence(message: str) -> None:
    guess = detect_tone(normalize(message))
    assert guess.buyer in BuyerTone
    assert 0.0 <= guess.confidence <= 1.0
    assert all(isinstance(s, str) for s in guess.signals)


@given(messages)
def test_splitting_into_asks_keeps_only_non_blank_parts(message: str) -> None:
    asks = split_asks(message)
    assert all(a.strip() for a in asks)
    assert all(a in message for a in asks)


@settings(deadline=timedelta(seconds=5))
@given(
    message=api_messages,
    limit=st.integers(min_value=1, max_value=10),
    tone=st.none() | st.sampled_from(Tone),
    locale=st.none() | st.sampled_from(["en", "zh-Hant", "pt", "sw-KE", "ar"]),
)
def test_suggest_answers_any_message_within_its_limit(
    shipped_snapshot: Snapshot, message: str, limit: int, tone: Tone | None, locale: str | None
) -> None:
    result = suggest(
        shipped_snapshot,
        SuggestRequest(message=message, limit=limit, tone=tone, locale=locale,
                       variables={"order_id": message[:500], "amount": "12.5"}),
        Options(),
    )
    assert len(result.suggestions) <= limit
    shown = result.suggestions + (result.no_match.guesses if result.no_match else [])
    assert all(0.0 <= s.score <= 1.0 for s in shown)
    assert all(s.text.strip() for s in shown)
