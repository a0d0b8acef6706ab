"""Language detection and reply-locale negotiation."""

import pytest

from app.language import DetectedBy, LocaleMatch, detect_language, negotiate_locale
from app.text import normalize


@pytest.mark.parametrize(
    ("message", "code", "by"),
    [
        ("在吗", "zh-Hans", DetectedBy.script),
        ("請問這個有貨嗎", "zh-Hant", DetectedBy.script),
        ("いつ発送しますか", "ja", DetectedBy.script),
        ("배송 언제 되나요", "ko", DetectedBy.script),
        ("когда отправите заказ", "ru", DetectedBy.script),
        ("متى يتم الشحن", "ar", DetectedBy.script),
        ("ส่งของเมื่อไหร่", "th", DetectedBy.script),
        ("when will you ship my order", "en", DetectedBy.words),
        ("hola, cuándo envían mi pedido?", "es", DetectedBy.words),
        ("bonjour, quand est-ce que vous livrez ma commande", "fr", DetectedBy.words),
        ("hallo, wann kommt meine Bestellung", "de", DetectedBy.words),
    ],
)
def test_detect_language(message: str, code: str, by: DetectedBy) -> None:
    guess = detect_language(normalize(message))
    assert (guess.code, guess.detected_by) == (code, by)


def test_hint_decides_when_the_text_cannot() -> None:
    guess = detect_language(normalize("ok"), hints=("es",))
    assert (guess.code, guess.detected_by) == ("es", DetectedBy.hint)


def test_default_when_nothing_decides() -> None:
    guess = detect_language(normalize("123"), default="en")
    assert (guess.code, guess.detected_by) == ("en", DetectedBy.default)


AVAILABLE = ["en", "zh-Hans", "pt-BR", "de"]


@pytest.mark.parametrize(
    ("wanted", "locale", "how"),
    [
        ("de", "de", LocaleMatch.exact),
        ("DE", "de", LocaleMatch.exact),
        ("pt-PT", "pt-BR", LocaleMatch.related),
        ("pt", "pt-BR", LocaleMatch.related),
        ("de-AT", "de", LocaleMatch.related),
        ("zh-CN", "zh-Hans", LocaleMatch.exact),
        ("zh-TW", "zh-Hans", LocaleMatch.converted),
        ("zh-Hant", "zh-Hans", LocaleMatch.converted),
        ("sw", "en", LocaleMatch.fallback),
    ],
)
def test_negotiate_locale(wanted: str, locale: str, how: LocaleMatch) -> None:
    assert negotiate_locale(wanted, AVAILABLE, "en") == (locale, how)
