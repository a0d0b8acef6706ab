"""`POST /v1/suggest`: the endpoint chat widgets and helpdesks call."""

from __future__ import annotations

from fastapi import APIRouter, Header

from app.api.access import Agent
from app.api.deps import KefuDep, MetricsDep
from app.api.limits import check_limit, check_message, check_variables
from app.api.models import SuggestBody
from app.config import Settings
from app.suggest import SuggestContext, SuggestRequest, SuggestResult

router = APIRouter(prefix="/v1", tags=["suggest"])


def _accept_language(header: str | None) -> tuple[str, ...]:
    """Language tags of an Accept-Language header, best first."""
    if not header:
        return ()
    weighted = []
    for part in header.split(",")[:10]:
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag and tag != "*" and weight > 0:
            weighted.append((weight, tag.strip()))
    return tuple(tag for _, tag in sorted(weighted, key=lambda w: -w[0]))


def to_request(body: SuggestBody, settings: Settings, hints: tuple[str, ...]) -> SuggestRequest:
    """The pipeline's request, once every configured limit holds (422 naming the field)."""
    check_message(body.message, settings.max_message_chars)
    check_limit(body.limit, settings.max_suggestions)
    check_variables(body.variables, settings)
    locale = body.locale.replace("_", "-") if body.locale else None
    return SuggestRequest(
        message=body.message,
        locale=locale,
        tone=body.tone,
        limit=body.limit,
        variables=dict(body.variables),
        context=SuggestContext(
            queue_length=body.context.queue_length, busy=body.context.busy, now=body.context.now
        ),
        language_hints=hints,
        currency=body.currency,
    )


# `async def` on purpose: the pipeline is bounded CPU work (a message is at most 2,000
# characters; see bench/pipeline.py), cheaper inline than a hop through the threadpool.
@router.post("/suggest", response_model=SuggestResult)
async def post_suggest(
    body: SuggestBody,
    _: Agent,
    kefu: KefuDep,
    metrics: MetricsDep,
    accept_language: str | None = Header(None),
) -> SuggestResult:
    """Suggest ready replies for a buyer's message, in the buyer's language and tone."""
    request = to_request(body, kefu.settings, _accept_language(accept_language))
    result = kefu.suggest(request)  # a variable of the wrong type raises InvalidInput (422)
    metrics.suggested(result)
    return result
