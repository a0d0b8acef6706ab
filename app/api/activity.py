"""Feedback from the console and widgets; unmatched messages and insights for managers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from app.api.access import require
from app.api.deps import KefuDep
from app.api.library import TemplateOut, _conflict, _editor, _out, _validate
from app.api.versioning import MAX_VERSION, Author, IfMatch, expected_version
from app.auth.scopes import Scope
from app.errors import InvalidInput, NotFound
from app.library import Triggers
from app.store.activity import ActivityLog
from app.store.repository import Conflict

router = APIRouter(tags=["activity"])


class FeedbackBody(BaseModel):
    template_id: Annotated[str, StringConstraints(max_length=129)]
    action: Literal["used", "edited", "dismissed"]
    locale: Annotated[str, StringConstraints(max_length=35)] | None = None
    tone: Literal["friendly", "formal", "empathetic"] | None = None


class UnmatchedBody(BaseModel):
    message: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    language: Annotated[str, StringConstraints(max_length=35)] = "und"


class Recorded(BaseModel):
    status: Literal["recorded"] = "recorded"


class UnmatchedGroupOut(BaseModel):
    example: str
    count: int
    ids: list[int]
    languages: list[str]


class AddTriggerBody(BaseModel):
    template_id: str
    language: Annotated[str, StringConstraints(max_length=35)] | None = Field(
        None, description="Trigger language; default: the language the message was detected in."
    )


def _activity(log: ActivityLog | None) -> ActivityLog:
    if log is None:
        raise RuntimeError("no store")
    return log


@router.post(
    "/v1/feedback",
    response_model=Recorded,
    status_code=202,
    dependencies=[Depends(require(Scope.FEEDBACK))],
)
def post_feedback(body: FeedbackBody, kefu: KefuDep) -> Recorded:
    """Which suggestion the agent or widget used, edited or dismissed."""
    if body.template_id not in kefu.snapshot.templates:
        raise NotFound(f"no template {body.template_id!r}")
    _activity(kefu.activity).feedback(body.template_id, body.action, body.locale, body.tone)
    return Recorded()


@router.post(
    "/v1/unmatched",
    response_model=Recorded,
    status_code=202,
    dependencies=[Depends(require(Scope.FEEDBACK))],
)
def post_unmatched(body: UnmatchedBody, kefu: KefuDep) -> Recorded:
    """An agent sends a message to the library's unmatched list."""
    _activity(kefu.activity).unmatched(body.message, body.language)
    return Recorded()


@router.get(
    "/v1/library/unmatched",
    response_model=list[UnmatchedGroupOut],
    dependencies=[Depends(require(Scope.INSIGHTS))],  # buyers' own words: managers only
)
def unmatched_groups(
    kefu: KefuDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[UnmatchedGroupOut]:
    """Messages that got no good match, grouped by similarity, largest group first."""
    return [
        UnmatchedGroupOut(**g.__dict__)
        for g in _activity(kefu.activity).unmatched_groups(limit=limit)
    ]


@router.post("/v1/library/unmatched/{unmatched_id}/add-trigger", response_model=TemplateOut)
def add_as_trigger(
    unmatched_id: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    body: AddTriggerBody,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Add an unmatched message as a trigger example of a template (a new version)."""
    expected = expected_version(if_match)
    found = _activity(kefu.activity).unmatched_message(unmatched_id)
    if found is None:
        raise NotFound(f"no unmatched message {unmatched_id} (or its text has expired)")
    message, detected = found
    editor = _editor(kefu)
    stored = editor.get(body.template_id)
    if stored is None:
        raise NotFound(f"no template {body.template_id!r}")
    language = body.language or detected
    if language == "und":
        raise InvalidInput("language: say which language this trigger is in")
    triggers = dict(stored.template.triggers)
    current = triggers.get(language, Triggers())
    if message not in current.examples:
        triggers[language] = current.model_copy(update={"examples": [*current.examples, message]})
    template = stored.template.model_copy(update={"triggers": triggers})
    _validate(kefu, template)
    try:
        why = f"trigger from unmatched #{unmatched_id}"
        saved = editor.update(template, expected, author, why)
    except Conflict as exc:
        raise _conflict(editor, body.template_id) from exc
    return _out(saved, response)


@router.get("/v1/insights", dependencies=[Depends(require(Scope.INSIGHTS))])
def insights(kefu: KefuDep, days: Annotated[int, Query(ge=1, le=365)] = 30) -> dict[str, object]:
    """Volume per day, category and language; top templates; dismiss rates; unmatched."""
    return _activity(kefu.activity).insights(days)
