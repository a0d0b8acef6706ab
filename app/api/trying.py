"""`POST /v1/library/try`: run a buyer message against the library with a draft template."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header
from pydantic import Field

from app.api.access import require
from app.api.deps import KefuDep
from app.api.models import SuggestBody
from app.api.suggest import _accept_language, to_request
from app.auth.scopes import Scope
from app.library import Template
from app.trying import TryResult, try_draft

router = APIRouter(
    prefix="/v1/library", tags=["library"], dependencies=[Depends(require(Scope.LIBRARY_READ))]
)


class TryBody(SuggestBody):
    template: Template = Field(description="The draft: a new template or an edited one.")


@router.post("/try", response_model=TryResult)
def try_template(
    body: TryBody, kefu: KefuDep, accept_language: str | None = Header(None)
) -> TryResult:
    """Would the draft be suggested for this message, at which place, and why.

    Nothing is saved. The draft's triggers are scored with the live index, so the answer is
    what a save would give, give or take retraining the category model.
    """
    request = to_request(body, kefu.settings, _accept_language(accept_language))
    return try_draft(kefu.snapshot, request, body.template, kefu.options)
