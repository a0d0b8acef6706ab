"""Language detection and reply-locale negotiation."""

import pytest

from app.language import (
    DetectedBy,
    LocaleMatch,
    canonical_locale,
    detect_language,
    negotiate_locale,
)
from app.text import normalize


@pytest.mark.parametrize(
    ("message", "code", "by"),
    [
        ("在吗", "zh-Hans", DetectedBy.script),
        ("請問這個有貨嗎", "zh-Hant", DetectedBy.script),
        ("いつ発送しますか", "ja", DetectedBy.script),
        ("배송 언제 되나요", "ko", DetectedBy.script),
        ("ส่งของเมื่อไหร่", "th", DetectedBy.script),
        ("когда вы отправите мой заказ", "ru", DetectedBy.detector),
        ("коли ви відправите моє замовлення", "uk", DetectedBy.detector),
        ("متى سيتم شحن طلبي من فضلك", "ar", DetectedBy.detector),
        ("when will you ship my order", "en", DetectedBy.detector),
        ("hola, cuándo envían mi pedido?", "es", DetectedBy.detector),
        ("bonjour, quand est-ce que vous livrez ma commande", "fr", DetectedBy.detector),
        ("hallo, wann kommt meine Bestellung an", "de", DetectedBy.detector),
        ("quando chega o meu pedido, já paguei", "pt", DetectedBy.detector),
        ("quando arriva il mio ordine per favore", "it", DetectedBy.detector),
        ("wanneer wordt mijn bestelling verzonden", "nl", DetectedBy.detector),
        ("kiedy wyślecie moje zamówienie", "pl", DetectedBy.detector),
        ("siparişim ne zaman kargoya verilecek", "tr", DetectedBy.detector),
        ("khi nào shop giao hàng cho mình vậy", "vi", DetectedBy.detector),
        ("kapan pesanan saya dikirim kak", "id", DetectedBy.detector),
        ("hi 这个有货吗", "zh-Hans", DetectedBy.script),  # code-mixed: the main language
    ],
)
def test_detect_language(message: str, code: str, by: DetectedBy) -> None:
    guess = detect_language(normalize(message))
    assert (guess.code, guess.detected_by) == (code, by)


def test_a_close_trigger_decides_a_short_message() -> None:
    guess = detect_language(normalize("hola"), trigger_language="es", trigger_similarity=1.0)
    assert (guess.code, guess.detected_by) == ("es", DetectedBy.triggers)


def test_hint_decides_when_the_text_cannot() -> None:
    guess = detect_language(normalize("ok"), hints=("es",))
    assert (guess.code, guess.detected_by) == ("es", DetectedBy.hint)


def test_default_when_nothing_decides() -> None:
    guess = detect_language(normalize("123"), default="en")
    assert (guess.code, guess.detected_by) == ("en", DetectedBy.default)


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("zh-TW", "zh-Hant"), ("zh_CN", "zh-Hans"), ("zh-Hant-HK", "zh-Hant"), ("PT-br", "pt-BR"),
     ("en", "en"), ("sr-Latn-RS", "sr-Latn-RS")],
)
def test_canonical_locale(tag: str, canonical: str) -> None:
    assert canonical_locale(tag) == canonical


AVAILABLE = ["en", "zh-Hans", "pt-BR", "de"]


@pytest.mark.parametrize(
    ("wanted", "locale", "how"),
    [
        ("de", "de", LocaleMatch.exact),
        ("DE", "de", LocaleMatch.exact),
        ("de-AT", "de", LocaleMatch.exact),  # Babel: the bare language is an exact match
        ("pt-PT", "pt-BR", LocaleMatch.related),
        ("pt", "pt-BR", LocaleMatch.related),
        ("zh-CN", "zh-Hans", LocaleMatch.exact),
        ("zh-TW", "zh-Hans", LocaleMatch.converted),
        ("zh-Hant", "zh-Hans", LocaleMatch.converted),
        ("sw", "en", LocaleMatch.fallback),
    ],
)
def test_negotiate_locale(wanted: str, locale: str, how: LocaleMatch) -> None:
    assert negotiate_locale(wanted, AVAILABLE, "en") == (locale, how)


def test_the_fallback_chain_is_configurable() -> None:
    assert negotiate_locale("pt-PT", ["en", "es", "pt-BR"], "en", {"pt": ("es",)}) == (
        "es", LocaleMatch.fallback)


def test_words_several_languages_share_go_to_the_likeliest_of_them() -> None:
    # "merci" is a French, Dutch and German trigger alike.
    guess = detect_language(normalize("merci"), trigger_language="nl", trigger_similarity=1.0,
                            trigger_languages=("fr", "de", "nl"))
    assert (guess.code, guess.detected_by) == ("fr", DetectedBy.triggers)


def test_a_hint_breaks_a_tie_between_trigger_languages() -> None:
    guess = detect_language(normalize("merci"), hints=("nl-BE",), trigger_language="fr",
                            trigger_similarity=1.0, trigger_languages=("fr", "de", "nl"))
    assert guess.code == "nl"
