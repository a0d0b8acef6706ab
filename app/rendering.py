"""The sandboxed environment replies are rendered in, and its Babel filters.

Reply texts are written by managers, so they run in Jinja2's immutable sandbox with a
whitelist of constructs and a render budget (`app/sandbox.py`). Buyer text and request
variables are only ever data passed to `render`, never template source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit
from jinja2 import StrictUndefined, TemplateSyntaxError, pass_context
from jinja2.runtime import Context

from app.library import BusinessHours, ShopFacts, Variable, VariableType
from app.sandbox import RefusedConstruct, ReplyEnvironment, bounded_join, loaded_names

SHOP = "shop"


class Placeholder:
    """Stands in for a variable the caller did not give.

    False in a test (so `{% if buyer_name %}` works) and printed as `[label]` in the
    reply's locale. Printing it records the name, which is how `missing_variables` is
    exact: a guarded placeholder that never shows is not reported.
    """

    __slots__ = ("name", "label", "_seen")

    def __init__(self, name: str, label: str, seen: set[str]) -> None:
        self.name = name
        self.label = label
        self._seen = seen

    def __str__(self) -> str:
        self._seen.add(self.name)
        return f"[{self.label}]"

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True)
class RenderedText:
    """One rendered reply and the variables it showed as placeholders."""

    text: str
    missing: tuple[str, ...]


@lru_cache(maxsize=256)
def babel_locale(tag: str) -> Locale:
    """Parse a BCP 47 tag once; Babel calls are cheaper with a parsed `Locale`.

    A well-formed tag Babel has no data for ("aca") raises `ValueError`, which a save
    reports as a problem and serving treats as a reply that cannot render.
    """
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown locale {tag!r}: no formatting data for it") from exc


def _locale(ctx: Context) -> Locale:
    return babel_locale(str(ctx.get("_locale", "en")))


# Money and counts in a chat reply stay far below this; larger values (or "1e999999")
# would only make Babel build enormous strings or fail.
MAX_NUMBER = Decimal(10) ** 15
MIN_EXPONENT = -12  # smaller fractions than 1e-12 are noise


def _as_decimal(value: Any) -> Decimal | None:
    """A finite number of sane size, or None (then filters print the value as it is)."""
    if isinstance(value, bool):
        return None
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not parsed.is_finite() or abs(parsed) >= MAX_NUMBER:
        return None
    if parsed and parsed.as_tuple().exponent < MIN_EXPONENT:  # type: ignore[operator]
        parsed = parsed.quantize(Decimal(1).scaleb(MIN_EXPONENT))
    return parsed


@pass_context
def money(ctx: Context, value: Any, currency: str | None = None) -> str:
    if isinstance(value, Placeholder):
        return str(value)
    number = _as_decimal(value)
    if number is None:
        return str(value)
    return format_currency(number, currency or str(ctx.get("_currency")), locale=_locale(ctx))


@pass_context
def number(ctx: Context, value: Any) -> str:
    if isinstance(value, Placeholder):
        return str(value)
    parsed = _as_decimal(value)
    return str(value) if parsed is None else format_decimal(parsed, locale=_locale(ctx))


@pass_context
def percent(ctx: Context, value: Any) -> str:
    """`10` means ten percent."""
    if isinstance(value, Placeholder):
        return str(value)
    parsed = _as_decimal(value)
    if parsed is None:
        return str(value)
    return format_percent(parsed / 100, locale=_locale(ctx))


def _as_date(value: Any) -> date | None:
    """A date, or an ISO date string read as one; anything else is None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@pass_context
def date_filter(ctx: Context, value: Any, fmt: str = "medium") -> str:
    day = _as_date(value)
    if day is None:
        return str(value)  # a placeholder prints itself (and is reported missing)
    return str(format_date(day, format=fmt, locale=_locale(ctx)))


@pass_context
def days(ctx: Context, value: Any) -> str:
    """A plural-aware number of days: `1 day`, `3 days`, `3 дня`, `5 дней`."""
    if isinstance(value, Placeholder):
        return str(value)
    parsed = _as_decimal(value)
    if parsed is None:
        return str(value)
    amount: int | Decimal = int(parsed) if parsed == parsed.to_integral_value() else parsed
    locale = _locale(ctx)
    text = format_unit(amount, "duration-day", length="long", locale=locale)
    if "duration-day" in text:
        # Babel lacks the long pattern for many locales (ja, ko, it, pt-BR…) and then
        # prints the unit id; the short pattern reads naturally in those languages.
        text = format_unit(amount, "duration-day", length="short", locale=locale)
    return text


@pass_context
def until(ctx: Context, value: Any) -> str:
    """A delivery date as time from today: "in 3 days", "через 3 дня", "3日後"."""
    day = _as_date(value)
    if day is None:
        return str(value)
    today = ctx.get("_today") or date.today()
    delta = day - today
    return str(
        format_timedelta(
            delta, granularity="day", threshold=2.0, add_direction=True, locale=_locale(ctx)
        )
    )


FILTERS: dict[str, Callable[..., str]] = {
    "money": money,
    "number": number,
    "percent": percent,
    "date": date_filter,
    "days": days,
    "until": until,
}


def make_environment() -> ReplyEnvironment:
    """The replies' environment: sandboxed, plain text, strict about unknown names."""
    env = ReplyEnvironment(
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def used_names(env: ReplyEnvironment, source: str) -> set[str]:
    """Names a template reads (raises `TemplateSyntaxError`, or `RefusedConstruct` for a
    construct replies may not use)."""
    return loaded_names(env.parse(source))


class CompileError(ValueError):
    """A reply text that is not a valid template, or uses what it may not."""


def validate_source(env: ReplyEnvironment, source: str, declared: set[str]) -> None:
    """Refuse syntax errors, constructs replies may not use, and undeclared names."""
    try:
        names = used_names(env, source)
    except RefusedConstruct as exc:
        raise CompileError(f"line {exc.lineno}: {exc.message}") from exc
    except TemplateSyntaxError as exc:
        raise CompileError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc
    undeclared = sorted(names - declared - {SHOP})
    if undeclared:
        raise CompileError(f"uses undeclared variables: {', '.join(undeclared)}")


_WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def format_hours(hours: BusinessHours, locale: Locale) -> str:
    """`Mon–Sat 9:00 AM – 9:00 PM (GMT+08:00)` in the locale's words."""
    names = locale.days["format"]["abbreviated"]
    idx = sorted(_WEEKDAY_INDEX[d] for d in hours.days)
    if idx and idx == list(range(idx[0], idx[-1] + 1)) and len(idx) > 2:
        day_text = f"{names[idx[0]]}–{names[idx[-1]]}"
    else:
        day_text = ", ".join(names[i] for i in idx)
    opens = format_time(hours.open, format="short", locale=locale)
    closes = format_time(hours.close, format="short", locale=locale)
    return f"{day_text} {opens}–{closes} ({hours.timezone})"


@dataclass(frozen=True)
class ShopView:
    """What templates see as `shop`, resolved for one locale."""

    name: str
    agent: str
    currency: str
    free_shipping_threshold: float | None
    return_days: int
    hours: str


def _localized(default: str, by_locale: Mapping[str, str], tag: str) -> str:
    if tag in by_locale:
        return by_locale[tag]
    base = tag.split("-")[0]
    return next((v for k, v in by_locale.items() if k.split("-")[0] == base), default)


def shop_view(shop: ShopFacts, tag: str) -> ShopView:
    return ShopView(
        name=_localized(shop.name, shop.name_localized, tag),
        agent=_localized(shop.agent, shop.agent_localized, tag),
        currency=shop.currency,
        free_shipping_threshold=shop.free_shipping_threshold,
        return_days=shop.return_days,
        hours=format_hours(shop.business_hours, babel_locale(tag)),
    )


def coerce_value(definition: Variable, value: Any) -> Any:
    """Read a request value as its declared type; raise `ValueError` naming the problem."""
    if definition.type in (VariableType.money, VariableType.number):
        parsed = _as_decimal(value)
        if parsed is None:
            raise ValueError(f"expected a number below {MAX_NUMBER:,}, got {value!r}")
        return parsed
    if definition.type is VariableType.date:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError as exc:
            raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from exc
    return str(value)


def placeholder_label(definition: Variable | None, name: str, tag: str) -> str:
    if definition is None:
        return name.replace("_", " ")
    return _localized(next(iter(definition.label.values())), definition.label, tag)


@dataclass
class RenderContext:
    """Everything one render needs besides the template itself."""

    locale: str
    currency: str
    shop: ShopView
    values: dict[str, Any] = field(default_factory=dict)
    today: date | None = None  # for `until`; default: the server's date


def render(
    template: Any,
    ctx: RenderContext,
    declared: Mapping[str, Variable | None],
) -> RenderedText:
    """Render one compiled reply; missing declared variables become placeholders."""
    seen: set[str] = set()
    variables: dict[str, Any] = {}
    for name, definition in declared.items():
        if name in ctx.values:
            variables[name] = ctx.values[name]
        else:
            variables[name] = Placeholder(
                name, placeholder_label(definition, name, ctx.locale), seen
            )
    text = bounded_join(
        template.generate(
            **variables,
            shop=ctx.shop,
            _locale=ctx.locale,
            _currency=ctx.currency,
            _today=ctx.today,
        )
    )
    missing = tuple(name for name in declared if name in seen)
    return RenderedText(text=text.strip(), missing=missing)


def sample_values(variables: Mapping[str, Variable]) -> dict[str, Any]:
    return {name: coerce_value(v, v.sample) for name, v in variables.items()}
