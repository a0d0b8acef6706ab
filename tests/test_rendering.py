"""The sandboxed reply environment and its Babel filters."""

from datetime import date
from decimal import Decimal

import pytest

from app.library import BusinessHours, ShopFacts, Variable
from app.rendering import (
    CompileError,
    RenderContext,
    babel_locale,
    coerce_value,
    format_hours,
    make_environment,
    render,
    shop_view,
    validate_source,
)

SHOP = ShopFacts(name="Lumen", agent="Mia", currency="EUR", free_shipping_threshold=49)
ORDER = Variable(sample="A1", label={"en": "order number", "de": "Bestellnummer"})


def render_text(
    source: str, locale: str = "en", values: dict | None = None, declared: dict | None = None
) -> tuple[str, tuple[str, ...]]:
    env = make_environment()
    ctx = RenderContext(
        locale=locale, currency="EUR", shop=shop_view(SHOP, locale), values=values or {}
    )
    out = render(env.from_string(source), ctx, declared or {})
    return out.text, out.missing


@pytest.mark.parametrize(
    ("source", "locale", "expected"),
    [
        ("{{ 12.5|money }}", "de", "12,50\xa0€"),
        ("{{ 12.5|money }}", "en", "€12.50"),
        ("{{ 12.5|money('CNY') }}", "zh-Hans", "¥12.50"),
        ("{{ 1234.5|number }}", "de", "1.234,5"),
        ("{{ 10|percent }}", "fr", "10\xa0%"),
        ("{{ '2026-12-03'|date }}", "de", "03.12.2026"),
        ("{{ '2026-12-03'|date }}", "en", "Dec 3, 2026"),
        ("{{ 1|days }}", "en", "1 day"),
        ("{{ 3|days }}", "en", "3 days"),
        ("{{ 3|days }}", "ru", "3 дня"),
        ("{{ 5|days }}", "ru", "5 дней"),
        ("{{ shop.free_shipping_threshold|money }}", "en", "€49.00"),
    ],
)
def test_filters_format_for_the_reply_locale(source: str, locale: str, expected: str) -> None:
    assert render_text(source, locale)[0] == expected


def test_missing_variable_shows_a_localized_placeholder_and_is_reported() -> None:
    text, missing = render_text("Bestellung {{ order_id }}", "de", declared={"order_id": ORDER})
    assert text == "Bestellung [Bestellnummer]"
    assert missing == ("order_id",)


def test_guarded_missing_variable_is_not_reported() -> None:
    source = "{% if order_id %}Order {{ order_id }}{% else %}Your order{% endif %}"
    text, missing = render_text(source, declared={"order_id": ORDER})
    assert (text, missing) == ("Your order", ())


def test_given_variable_renders_and_is_not_missing() -> None:
    text, missing = render_text(
        "Order {{ order_id }}", values={"order_id": "A1"}, declared={"order_id": ORDER}
    )
    assert (text, missing) == ("Order A1", ())


def test_buyer_text_is_data_not_template_source() -> None:
    text, _ = render_text(
        "You wrote: {{ order_id }}", values={"order_id": "{{ 7*7 }}"}, declared={"order_id": ORDER}
    )
    assert text == "You wrote: {{ 7*7 }}"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("Hi {{ secret }}", "undeclared variables: secret"),
        ("Hi {{ order_id|shout }}", "filter .shout. is not allowed"),
        ("Hi {{ order_id ", "syntax error"),
    ],
)
def test_validate_source_refuses(source: str, problem: str) -> None:
    with pytest.raises(CompileError, match=problem):
        validate_source(make_environment(), source, {"order_id"})


def test_sandbox_blocks_attribute_walks() -> None:
    from app.sandbox import RefusedConstruct

    with pytest.raises(RefusedConstruct, match="is not allowed"):
        render_text("{{ shop.__class__.__mro__ }}")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("money", "12.50", Decimal("12.50")),
        ("number", 3, Decimal(3)),
        ("date", "2026-12-03", date(2026, 12, 3)),
        ("text", 42, "42"),
    ],
)
def test_coerce_value(kind: str, value: object, expected: object) -> None:
    definition = Variable(type=kind, sample="x", label={"en": "x"})  # type: ignore[arg-type]
    assert coerce_value(definition, value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [("money", "cheap"), ("number", True), ("date", "tomorrow"), ("money", "NaN")],
)
def test_coerce_value_refuses_values_of_the_wrong_type(kind: str, value: object) -> None:
    definition = Variable(type=kind, sample="x", label={"en": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        coerce_value(definition, value)


def test_business_hours_in_the_locale() -> None:
    hours = BusinessHours(timezone="Asia/Shanghai", days=["mon", "tue", "wed", "thu", "fri"])
    assert (
        format_hours(hours, babel_locale("en"))
        == "Mon–Fri 9:00\u202fAM–6:00\u202fPM (Asia/Shanghai)"
    )
    assert format_hours(hours, babel_locale("de")).startswith("Mo.–Fr. 09:00–18:00")


LIBRARY_LOCALES = [
    "en",
    "zh-Hans",
    "zh-Hant",
    "es",
    "fr",
    "de",
    "pt-BR",
    "ru",
    "ja",
    "ko",
    "ar",
    "it",
    "tr",
    "vi",
    "id",
    "th",
    "pl",
    "nl",
]


@pytest.mark.parametrize("locale", LIBRARY_LOCALES)
def test_days_reads_as_words_in_every_library_locale(locale: str) -> None:
    for count in (1, 3, 7):
        text = render_text("{{ n|days }}".replace("n", str(count)), locale)[0]
        assert str(count) in text or locale == "ar"
        assert "duration" not in text and len(text) > len(str(count))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "in 3 days"), ("de", "in 3 Tagen"), ("ru", "через 3 дня"), ("zh-Hans", "3天后")],
)
def test_until_says_how_far_a_date_is_in_the_locale(locale: str, expected: str) -> None:
    env = make_environment()
    ctx = RenderContext(locale=locale, currency="EUR", shop=shop_view(SHOP, locale),
                        today=date(2026, 11, 30))
    text = render(env.from_string("{{ '2026-12-03'|until }}"), ctx, {}).text
    assert text == expected
