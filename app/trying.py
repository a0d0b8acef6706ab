"""Try a draft template on a buyer message: would it be suggested, and why (or why not).

A manager writing a template wants to know before saving whether "can I get an invoice?"
would reach it. Rebuilding the whole index for a draft costs seconds, so the draft is
scored against the live index (`MatchIndex.score_draft`) and ranked among the live
templates for the same message: the live pipeline, with one template swapped.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2.exceptions import TemplateError
from pydantic import BaseModel

from app.library import Template
from app.matching import Match
from app.rendering import (
    CompileError,
    RenderContext,
    make_environment,
    render,
    shop_view,
    validate_source,
)
from app.suggest import (
    GREETING,
    Options,
    Snapshot,
    SuggestRequest,
    SuggestResult,
    _choose_variant,
    coerce_variables,
    split_asks,
    suggest,
    template_sources,
)
from app.text import normalize

RANKED = 5


class Ranked(BaseModel):
    template_id: str
    confidence: float
    draft: bool


class DraftVerdict(BaseModel):
    suggested: bool
    rank: int
    confidence: float
    reason: str
    ask: str
    trigger: str | None
    similarity: float
    keywords: list[str]
    category_probability: float
    text: str | None
    locale: str | None
    tone: str | None
    problem: str | None


class TryResult(BaseModel):
    draft: DraftVerdict
    ranking: list[Ranked]
    live: SuggestResult


@dataclass(frozen=True)
class _Scored:
    match: Match
    ask: str


def try_draft(
    snapshot: Snapshot, request: SuggestRequest, draft: Template, options: Options
) -> TryResult:
    """The live answer for `request`, and where `draft` would stand in it."""
    live = suggest(snapshot, request, options)
    sources = template_sources(draft)
    asks = split_asks(request.message)
    pieces = [request.message] if len(asks) <= 1 else [request.message, *asks]
    best: _Scored | None = None
    rivals: dict[str, float] = {}
    for piece in pieces:
        norm = normalize(piece)
        mine = snapshot.index.score_draft(norm, sources, draft.category)
        if best is None or mine.confidence > best.match.confidence:
            best = _Scored(mine, piece)
        for match in snapshot.index.search(norm, limit=RANKED):
            if match.template_id != draft.id:
                rivals[match.template_id] = max(
                    rivals.get(match.template_id, 0.0), match.confidence
                )
    assert best is not None  # pieces always holds the message
    ranking = sorted(
        [Ranked(template_id=t, confidence=round(c, 4), draft=False) for t, c in rivals.items()]
        + [Ranked(template_id=draft.id, confidence=round(best.match.confidence, 4), draft=True)],
        key=lambda r: (-r.confidence, not r.draft),
    )
    if len(pieces) > 1:
        # As in the pipeline: a greeting never crowds out a real question asked with it.
        questions = [
            r
            for r in ranking
            if r.template_id.split(".", 1)[0] != GREETING
            and r.confidence >= options.min_confidence
        ]
        ranking = questions + [r for r in ranking if r not in questions]
    rank = next(i for i, r in enumerate(ranking, 1) if r.draft)
    confident = best.match.confidence >= options.min_confidence
    suggested = confident and rank <= request.limit
    reason = _reason(best.match, rank, ranking, request.limit, options.min_confidence)
    text, locale, tone, problem = _render_draft(snapshot, request, draft, live, options)
    return TryResult(
        draft=DraftVerdict(
            suggested=suggested,
            rank=rank,
            confidence=round(best.match.confidence, 4),
            reason=reason,
            ask=best.ask,
            trigger=best.match.trigger,
            similarity=round(best.match.similarity, 4),
            keywords=list(best.match.keywords),
            category_probability=round(best.match.category_probability, 4),
            text=text,
            locale=locale,
            tone=tone,
            problem=problem,
        ),
        ranking=ranking[:RANKED],
        live=live,
    )


def _reason(match: Match, rank: int, ranking: list[Ranked], limit: int, threshold: float) -> str:
    said = f"confidence {match.confidence:.2f}"
    if match.trigger:
        said += f", closest trigger {match.trigger!r} (similarity {match.similarity:.2f})"
    if match.keywords:
        said += f", keywords {', '.join(match.keywords)}"
    if match.confidence < threshold:
        return f"not suggested: {said} is below the threshold {threshold:.2f}"
    if rank > limit:
        ahead = ", ".join(r.template_id for r in ranking[:limit])
        return f"not suggested: {said}, but ranked {rank} behind {ahead}"
    return f"suggested at place {rank}: {said}"


def _render_draft(
    snapshot: Snapshot,
    request: SuggestRequest,
    draft: Template,
    live: SuggestResult,
    options: Options,
) -> tuple[str | None, str | None, str | None, str | None]:
    """The draft's reply as this buyer would get it (detected language and tone)."""
    library = snapshot.library
    wanted_locale = request.locale or live.language.code
    wanted_tone = request.tone or live.tone.reply
    locale, _, tone, _ = _choose_variant(
        draft, wanted_locale, wanted_tone, library.shop.default_locale, options.fallbacks
    )
    declared = {name: library.variables.get(name) for name in draft.variables}
    values = coerce_variables(library, request.variables)
    try:
        # Inside the try: a draft's locale may be one Babel has no data for.
        ctx = RenderContext(
            locale=locale,
            currency=request.currency or library.shop.currency,
            shop=snapshot.shop_views.get(locale) or shop_view(library.shop, locale),
            values={k: v for k, v in values.items() if k in draft.variables},
        )
        env = make_environment()
        source = draft.replies[locale][tone]
        validate_source(env, source, set(draft.variables))
        rendered = render(env.from_string(source), ctx, declared)
    except (CompileError, TemplateError, ArithmeticError, ValueError) as exc:
        return None, locale, tone.value, str(exc)
    return rendered.text, locale, tone.value, None
