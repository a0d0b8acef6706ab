"""`POST /v1/suggest`: the endpoint chat widgets and helpdesks call."""

from __future__ import annotations

from fastapi import APIRouter, Header

from app.api.access import Agent
from app.api.deps import KefuDep
from app.api.models import MAX_VARIABLES, SuggestBody
from app.errors import InvalidInput
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


def to_request(
    body: SuggestBody, kefu_limit: int, max_chars: int, hints: tuple[str, ...]
) -> SuggestRequest:
    message = body.message
    if not message.strip():
        raise InvalidInput(
            "message: the message is empty", [{"field": "message", "problem": "empty"}]
        )
    if len(message) > max_chars:
        raise InvalidInput(
            f"message: longer than {max_chars} characters",
            [{"field": "message", "problem": f"{len(message)} characters, at most {max_chars}"}],
        )
    if "\x00" in message:
        raise InvalidInput(
            "message: contains a NUL character", [{"field": "message", "problem": "NUL"}]
        )
    if body.limit > kefu_limit:
        raise InvalidInput(
            f"limit: at most {kefu_limit}", [{"field": "limit", "problem": f"at most {kefu_limit}"}]
        )
    if len(body.variables) > MAX_VARIABLES:
        raise InvalidInput(
            f"variables: at most {MAX_VARIABLES}",
            [{"field": "variables", "problem": f"at most {MAX_VARIABLES} entries"}],
        )
    locale = body.locale.replace("_", "-") if body.locale else None
    return SuggestRequest(
        message=message,
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
    accept_language: str | None = Header(None),
) -> SuggestResult:
    """Suggest ready replies for a buyer's message, in the buyer's language and tone."""
    settings = kefu.settings
    request = to_request(
        body,
        settings.max_suggestions,
        settings.max_message_chars,
        _accept_language(accept_language),
    )
    return kefu.suggest(request)  # a variable of the wrong type raises InvalidInput (422)
