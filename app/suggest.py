"""The route of one message: normalise → language → tone → split → match → choose → render.

`Snapshot` is the library compiled for serving (immutable; a new library version builds a
new one), and `suggest` is a pure function of a snapshot and a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2.exceptions import TemplateError
from pydantic import BaseModel, Field

from app.compiled import CompiledReplies, reply_sources
from app.errors import InvalidInput
from app.language import (
    DEFAULT_FALLBACKS,
    DetectedBy,
    LocaleMatch,
    detect_language,
    negotiate_locale,
)
from app.library import BusyState, Library, ShopFacts, Template, Tone
from app.matching import (
    Match,
    MatchIndex,
    PatchedIndex,
    TriggerSource,
    index_cached,
    index_key,
    load_or_build_index,
)
from app.rendering import RenderContext, ShopView, coerce_value, shop_view
from app.text import Normalized, has_unspaced, normalize, to_traditional
from app.tone import BuyerTone, detect_tone, reply_tone

GREETING = "greeting"
# Chosen on the development set: the highest threshold at which real asks still get an
# answer at least 95% of the time (docs/matching.md).
DEFAULT_MIN_CONFIDENCE = 0.57
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_QUESTION_WORDS = (
    "when|where|how|can|could|do|does|did|is|are|will|would|what|why|which|any|pls|please"
)
# Sentence ends, connectors before a new question ("… and when do you ship?"), and the
# Chinese "also / by the way" words split a message into asks.
_COMMA = re.compile(r"[,，、]")
_ASK_SPLIT = re.compile(
    r"[.!?。！？;；\n]+"
    rf"|,?\s+(?:and|also|btw|plus|and also)\s+(?=(?:{_QUESTION_WORDS})\b)"
    r"|(?:还有|另外|顺便问下|顺便问一下|顺便|再问一下)",
    re.IGNORECASE,
)


# ---- the request and the answer -------------------------------------------------------


@dataclass(frozen=True)
class SuggestContext:
    """The shop's state as the caller sees it."""

    queue_length: int | None = None
    busy: bool = False  # the agent's "shop is busy" switch
    now: datetime | None = None


@dataclass(frozen=True)
class SuggestRequest:
    """What the caller asks; already validated for shape by the API."""

    message: str
    locale: str | None = None
    tone: Tone | None = None
    limit: int = 3
    variables: dict[str, Any] = field(default_factory=dict)
    context: SuggestContext = field(default_factory=SuggestContext)
    language_hints: tuple[str, ...] = ()
    currency: str | None = None  # ISO 4217; default: the shop's


class LanguageInfo(BaseModel):
    code: str = Field(description="The buyer's language (BCP 47).")
    confidence: float
    detected_by: DetectedBy


class ToneInfo(BaseModel):
    buyer: BuyerTone = Field(description="How the buyer sounds.")
    reply: Tone = Field(description="The tone replies are written in.")
    confidence: float
    signals: list[str]
    decided_by: str = Field(description="`request` (explicit tone), `detected` or `default`.")


class MatchInfo(BaseModel):
    ask: str = Field(description="The part of the message this suggestion answers.")
    trigger: str | None = Field(description="The library trigger closest to the ask.")
    trigger_language: str | None
    keywords: list[str]
    similarity: float
    fuzz: float


class Suggestion(BaseModel):
    template_id: str
    category: str
    title: str
    score: float = Field(description="Confidence 0–1.")
    text: str
    locale: str
    locale_match: LocaleMatch
    tone: Tone
    tone_fallback: bool = Field(description="True when the wanted tone was missing.")
    missing_variables: list[str]
    auto_send: bool = Field(description="Safe to send without an agent (busy-hour replies).")
    low_confidence: bool
    matched: MatchInfo | None = Field(description="Why it was suggested (null for busy-hour).")


class NoMatch(BaseModel):
    reason: str
    guesses: list[Suggestion] = Field(description="Low-confidence guesses, best first.")


class SuggestResult(BaseModel):
    language: LanguageInfo
    tone: ToneInfo
    busy: BusyState | None = Field(description="The shop state that put a busy reply first.")
    suggestions: list[Suggestion]
    no_match: NoMatch | None
    library_version: str


# ---- the compiled library -------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A library compiled for serving. Immutable: readers never lock."""

    library: Library
    replies: CompiledReplies
    index: MatchIndex | PatchedIndex
    templates: dict[str, Template]
    busy_templates: dict[BusyState, tuple[Template, ...]]
    shop_views: dict[str, ShopView]
    # The triggers per template that the index's built part was made from.
    index_sources: Mapping[str, tuple[TriggerSource, ...]] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        """True while a rebuild is due: trigger edits served by a patch, or a first start
        served by the provisional (untrained) index."""
        return isinstance(self.index, PatchedIndex) or not self.index.trained

    @property
    def version(self) -> str:
        return self.replies.version

    @property
    def complete(self) -> bool:
        """The index is built in full (not `pending`)."""
        return not self.pending

    @property
    def shop(self) -> ShopFacts:
        return self.library.shop


def template_sources(template: Template) -> tuple[TriggerSource, ...]:
    """A template's trigger examples and keywords, language by language."""
    sources: list[TriggerSource] = []
    for language, triggers in template.triggers.items():
        sources.extend(TriggerSource(template.id, language, t) for t in triggers.examples)
        sources.extend(
            TriggerSource(template.id, language, k, keyword=True) for k in triggers.keywords
        )
    return tuple(sources)


def trigger_sources(library: Library) -> dict[str, tuple[TriggerSource, ...]]:
    """Every template's trigger examples and keywords, in library order."""
    return {template.id: template_sources(template) for template in library.templates()}


def _negatives(library: Library) -> list[str]:
    return [m for msgs in library.out_of_scope.values() for m in msgs]


def build_index(library: Library, cache_dir: Path | None = None) -> MatchIndex:
    """The library's full trigger index (loaded from `cache_dir` if built before)."""
    sources = [s for group in trigger_sources(library).values() for s in group]
    return load_or_build_index(sources, _negatives(library), cache_dir)


def build_snapshot(
    library: Library,
    cache_dir: Path | None = None,
    previous: Snapshot | None = None,
    patch: bool = False,
    provisional: bool = False,
) -> Snapshot:
    """Index a library for serving; reply texts compile on first use (see `warm`).

    With `cache_dir`, the trigger index (the costly part: features and the trained
    model) is kept on disk by content, so a restart on an unchanged library loads it.
    With `patch`, changed triggers are served at once by patching `previous`'s index
    (see `PatchedIndex`); `complete_snapshot` then builds the real one off the path.
    With `provisional`, an index not cached is built without training (seconds sooner:
    a first start answers at once); it is `pending` until `complete_snapshot` too.
    """
    replies = reply_sources(library, previous.replies if previous is not None else None)
    by_template = trigger_sources(library)
    sources = [s for group in by_template.values() for s in group]
    negatives = _negatives(library)
    key = index_key(sources, negatives)
    index: MatchIndex | PatchedIndex
    if previous is not None and previous.index.key == key:
        index, index_sources = previous.index, previous.index_sources  # only texts changed
    elif (
        patch
        and previous is not None
        and previous.index_sources
        and negatives == _negatives(previous.library)
        and not index_cached(cache_dir, key)
    ):
        base = previous.index.base if isinstance(previous.index, PatchedIndex) else previous.index
        index_sources = previous.index_sources
        changed = {t: s for t, s in by_template.items() if index_sources.get(t) != s}
        removed = [t for t in index_sources if t not in by_template]
        index = PatchedIndex(base, changed, removed, key)
    else:
        current = previous.index if previous is not None else None
        index = load_or_build_index(
            sources,
            negatives,
            cache_dir,
            current if isinstance(current, MatchIndex) else None,
            provisional=provisional,
        )
        index_sources = by_template
    busy: dict[BusyState, list[Template]] = {}
    for template in library.templates():
        if template.busy is not None:
            busy.setdefault(template.busy, []).append(template)
    return Snapshot(
        library=library,
        replies=replies,
        index=index,
        templates={t.id: t for t in library.templates()},
        busy_templates={k: tuple(v) for k, v in busy.items()},
        shop_views=_shop_views(library),
        index_sources=index_sources,
    )


def complete_snapshot(snapshot: Snapshot, cache_dir: Path | None = None) -> Snapshot:
    """The same snapshot with its index built in full (the slow part of a trigger edit)."""
    if not snapshot.pending:
        return snapshot
    index = build_index(snapshot.library, cache_dir)
    return replace(snapshot, index=index, index_sources=trigger_sources(snapshot.library))


def _shop_views(library: Library) -> dict[str, ShopView]:
    """The shop as each locale's replies show it; a locale Babel lacks is left out (its
    replies are skipped when served) rather than stopping the whole library from loading."""
    views: dict[str, ShopView] = {}
    for locale in library.locales:
        try:
            views[locale] = shop_view(library.shop, locale)
        except ValueError:
            continue
    return views


# ---- the stages -----------------------------------------------------------------------


def busy_state(shop: ShopFacts, context: SuggestContext) -> BusyState | None:
    """Is the shop busy? The agent's switch or a long queue first, then business hours."""
    if context.busy:
        return BusyState.queue
    if context.queue_length is not None and context.queue_length >= shop.busy_queue_threshold:
        return BusyState.queue
    hours = shop.business_hours
    now = (context.now or datetime.now(UTC)).astimezone(ZoneInfo(hours.timezone))
    # A close of 00:00 means midnight, the end of the day.
    before_close = hours.close == time(0, 0) or now.time() < hours.close
    opened = _WEEKDAYS[now.weekday()] in hours.days and hours.open <= now.time() and before_close
    return None if opened else BusyState.after_hours


def split_asks(message: str) -> list[str]:
    """Split a message into its asks ("hi! can you do a discount and when do you ship?")."""
    parts: list[str] = []
    for part in _ASK_SPLIT.split(message):
        # A short opening clause before a comma is its own ask: "hola buenas, ¿cuándo…".
        pieces = _COMMA.split(part, maxsplit=1)
        if len(pieces) == 2 and pieces[1].strip() and _short_clause(pieces[0]):
            parts.extend(pieces)
        else:
            parts.append(part)
    cleaned = [p.strip(" ,，、") for p in parts]
    return [p for p in cleaned if p.strip()]


def _short_clause(text: str) -> bool:
    words = text.split()
    if len(words) == 1 and has_unspaced(words[0]):
        return len(words[0]) <= 4
    return 0 < len(words) <= 3


@dataclass(frozen=True, eq=False)  # identity: the lists below test membership often
class _Candidate:
    match: Match
    ask: str
    order: int  # which ask it came from, for covering every ask


def _match_asks(
    snapshot: Snapshot, message: str, whole: Normalized, limit: int, floor: float
) -> list[_Candidate]:
    """Best templates for the whole message and for each ask, one entry per template."""
    asks = split_asks(message)
    pieces = [message] if len(asks) <= 1 else [message, *asks]
    best: dict[str, _Candidate] = {}
    queries = [whole, *(normalize(piece) for piece in pieces[1:])]
    found = snapshot.index.search_many(queries, limit=max(limit, 3) + 3)
    for order, (piece, matches) in enumerate(zip(pieces, found, strict=True)):
        for match in matches:
            kept = best.get(match.template_id)
            if kept is None or match.confidence > kept.match.confidence:
                best[match.template_id] = _Candidate(match, piece, order)
    ranked = sorted(best.values(), key=lambda c: (-c.match.confidence, c.match.template_id))
    if len(pieces) > 1:
        # The most certain reading first (often the whole message), then the best of each
        # ask whose category is not covered yet, so every ask is answered.
        ordered = ranked[:1]
        covered = {_category(c) for c in ordered}
        for order in range(1, len(pieces)):
            mine = next((c for c in ranked if c.order == order), None)
            if mine is not None and _category(mine) not in covered:
                ordered.append(mine)
                covered.add(_category(mine))
        ordered.sort(key=lambda c: -c.match.confidence)
        ranked = ordered + [c for c in ranked if c not in ordered]
        # A greeting never crowds out a real question asked in the same message.
        questions = [c for c in ranked if _category(c) != GREETING and c.match.confidence >= floor]
        if questions:
            ranked = questions + [c for c in ranked if c not in questions]
    return ranked


PER_CATEGORY = 2  # confident suggestions of one category before others get a place


def select(
    candidates: Sequence[_Candidate], min_confidence: float, limit: int
) -> tuple[list[tuple[_Candidate, bool]], list[_Candidate]]:
    """What to show: (candidate, low-confidence) pairs, and the guesses of "no good match".

    Confident candidates first, at most two of one category; free places go to the best
    candidates of categories not shown yet, marked low-confidence, so an agent whose first
    suggestion is wrong finds the right category one key away.
    """
    confident = [c for c in candidates if c.match.confidence >= min_confidence]
    if not confident:
        # Guesses of different kinds first: three variants of one wrong guess help nobody.
        firsts = {_category(c): c for c in reversed(candidates)}
        distinct = sorted(firsts.values(), key=lambda c: -c.match.confidence)
        return [], (distinct + [c for c in candidates if c not in distinct])[:3]
    shown: list[tuple[_Candidate, bool]] = []
    per_category: dict[str, int] = {}
    for candidate in confident:
        if len(shown) >= limit:
            break
        category = _category(candidate)
        if per_category.get(category, 0) < PER_CATEGORY:
            shown.append((candidate, False))
            per_category[category] = per_category.get(category, 0) + 1
    for candidate in candidates:
        if len(shown) >= limit:
            break
        if _category(candidate) not in per_category:
            shown.append((candidate, True))
            per_category[_category(candidate)] = 1
    return shown, []


def _category(candidate: _Candidate) -> str:
    return candidate.match.template_id.split(".", 1)[0]


def _choose_variant(
    template: Template,
    wanted_locale: str,
    wanted_tone: Tone,
    default_locale: str,
    fallbacks: Mapping[str, Sequence[str]],
) -> tuple[str, LocaleMatch, Tone, bool]:
    """The buyer's language matters more than the tone: locale first, then tone."""
    locale, how = negotiate_locale(wanted_locale, template.replies, default_locale, fallbacks)
    tones = template.replies[locale]
    if wanted_tone in tones:
        return locale, how, wanted_tone, False
    for tone in Tone:
        if tone in tones:
            return locale, how, tone, True
    raise AssertionError("a template locale without tones")  # the model forbids it


def _render_suggestion(
    snapshot: Snapshot,
    options: Options,
    template: Template,
    wanted_locale: str,
    wanted_tone: Tone,
    values: dict[str, Any],
    score: float,
    matched: MatchInfo | None,
    low_confidence: bool,
    currency: str | None = None,
) -> Suggestion | None:
    library = snapshot.library
    locale, how, tone, tone_fallback = _choose_variant(
        template, wanted_locale, wanted_tone, library.shop.default_locale, options.fallbacks
    )
    declared = {name: library.variables.get(name) for name in template.variables}
    try:
        # A locale Babel has no data for (stored before saves refused them) cannot render.
        ctx = RenderContext(
            locale=locale,
            currency=currency or library.shop.currency,
            shop=snapshot.shop_views.get(locale) or shop_view(library.shop, locale),
            values={k: v for k, v in values.items() if k in template.variables},
        )
        rendered = snapshot.replies.render((template.id, locale, tone), ctx, declared)
    except (TemplateError, ArithmeticError, ValueError):
        return None  # a reply that cannot render is skipped, never half-shown
    text = rendered.text
    if how is LocaleMatch.converted:
        region = "HK" if wanted_locale.lower() in ("zh-hk", "zh-mo") else "TW"
        text = to_traditional(text, region)
        locale = "zh-Hant"
    return Suggestion(
        template_id=template.id,
        category=template.category,
        title=template.title,
        score=round(score, 4),
        text=text,
        locale=locale,
        locale_match=how,
        tone=tone,
        tone_fallback=tone_fallback,
        missing_variables=list(rendered.missing),
        auto_send=template.busy is not None,
        low_confidence=low_confidence,
        matched=matched,
    )


def coerce_variables(library: Library, variables: dict[str, Any]) -> dict[str, Any]:
    """Read request variables as their declared types; unknown names are ignored.

    Raises `InvalidInput` naming the variable whose value does not fit its type.
    """
    values: dict[str, Any] = {}
    for name, value in variables.items():
        definition = library.variables.get(name)
        if definition is None or value is None:
            continue
        try:
            values[name] = coerce_value(definition, value)
        except ValueError as exc:
            field = f"variables.{name}"
            raise InvalidInput(f"{field}: {exc}", [{"field": field, "problem": str(exc)}]) from exc
    return values


def render_reply(
    snapshot: Snapshot,
    options: Options,
    template_id: str,
    locale: str,
    tone: Tone,
    variables: dict[str, Any],
    currency: str | None = None,
) -> Suggestion | None:
    """One template rendered again with new values, as the agent fills in the variables a
    suggestion lacked: nothing is matched and nothing is counted as served again."""
    template = snapshot.templates.get(template_id)
    if template is None:
        return None
    values = coerce_variables(snapshot.library, variables)
    return _render_suggestion(
        snapshot, options, template, locale, tone, values, 1.0, None, False, currency
    )


@dataclass(frozen=True)
class Options:
    """The operator's knobs for the pipeline (from `Settings`)."""

    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    fallbacks: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_FALLBACKS)


def suggest(snapshot: Snapshot, request: SuggestRequest, options: Options) -> SuggestResult:
    """Suggest replies for one buyer message."""
    shop = snapshot.shop
    min_confidence = options.min_confidence
    values = coerce_variables(snapshot.library, request.variables)
    norm = normalize(request.message)
    # Matching needs no language; its closest trigger is evidence for a short message.
    candidates = _match_asks(snapshot, request.message, norm, request.limit, min_confidence)
    closest = candidates[0].match if candidates else None

    hints = tuple(h for h in (request.locale, *request.language_hints) if h)
    language = detect_language(
        norm,
        hints=hints,
        default=shop.default_locale,
        trigger_language=closest.trigger_language if closest else None,
        trigger_similarity=closest.similarity if closest else 0.0,
        trigger_languages=closest.trigger_languages if closest else (),
    )
    wanted_locale = request.locale or language.code

    tone_guess = detect_tone(norm)
    if request.tone is not None:
        wanted_tone, decided_by = request.tone, "request"
    else:
        wanted_tone = reply_tone(tone_guess.buyer, shop.default_tone)
        decided_by = "default" if tone_guess.buyer is BuyerTone.neutral else "detected"

    busy = busy_state(shop, request.context)
    suggestions: list[Suggestion] = []
    if busy is not None:
        for template in snapshot.busy_templates.get(busy, ())[:1]:
            rendered = _render_suggestion(
                snapshot,
                options,
                template,
                wanted_locale,
                wanted_tone,
                values,
                1.0,
                None,
                False,
                request.currency,
            )
            if rendered is not None:
                suggestions.append(rendered)

    shown, guessed = select(candidates, min_confidence, request.limit - len(suggestions))
    guesses: list[Suggestion] = []
    for candidate, low in [*shown, *((c, True) for c in guessed)]:
        match = candidate.match
        info = MatchInfo(
            ask=candidate.ask,
            trigger=match.trigger,
            trigger_language=match.trigger_language,
            keywords=list(match.keywords),
            similarity=round(match.similarity, 4),
            fuzz=round(match.fuzz, 4),
        )
        rendered = _render_suggestion(
            snapshot,
            options,
            snapshot.templates[match.template_id],
            wanted_locale,
            wanted_tone,
            values,
            match.confidence,
            info,
            low,
            request.currency,
        )
        if rendered is not None:
            (suggestions if (candidate, low) in shown else guesses).append(rendered)
    no_match = None
    if not any(c.match.confidence >= min_confidence for c in candidates):
        best = candidates[0].match.confidence if candidates else 0.0
        reason = (
            f"no template matched well enough: best confidence {best:.2f}"
            f" is below {min_confidence:.2f}"
            if candidates
            else "nothing in the library resembles this message"
        )
        no_match = NoMatch(reason=reason, guesses=guesses)

    return SuggestResult(
        language=LanguageInfo(
            code=language.code, confidence=language.confidence, detected_by=language.detected_by
        ),
        tone=ToneInfo(
            buyer=tone_guess.buyer,
            reply=wanted_tone,
            confidence=tone_guess.confidence,
            signals=list(tone_guess.signals),
            decided_by=decided_by,
        ),
        busy=busy,
        suggestions=suggestions[: request.limit],
        no_match=no_match,
        library_version=snapshot.version,
    )
