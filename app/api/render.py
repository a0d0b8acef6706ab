"""`POST /v1/render`: a suggested template rendered again with the values an agent typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.access import require
from app.api.deps import KefuDep
from app.api.limits import check_variables
from app.api.models import RequestLocale, Variables
from app.auth.scopes import Scope
from app.errors import NotFound
from app.library import Tone
from app.suggest import Suggestion, render_reply

# Rendering again what an agent already got: the agent's scope, without the rate limit.
router = APIRouter(prefix="/v1", tags=["suggest"], dependencies=[Depends(require(Scope.SUGGEST))])


class RenderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: Annotated[str, StringConstraints(max_length=129)]
    locale: RequestLocale = Field(description="The locale the suggestion was shown in.")
    tone: Tone
    variables: Variables = Field(default_factory=dict)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


@router.post("/render", response_model=Suggestion)
async def post_render(body: RenderBody, kefu: KefuDep) -> Suggestion:
    """Render one template in a locale and tone with the given values (nothing is counted:
    the console calls this while the agent fills in a suggestion's missing variables)."""
    check_variables(body.variables, kefu.settings)
    rendered = render_reply(
        kefu.snapshot,
        kefu.options,
        body.template_id,
        body.locale.replace("_", "-"),
        body.tone,
        dict(body.variables),
        body.currency,
    )
    if rendered is None:
        raise NotFound(f"no template {body.template_id!r}")
    return rendered
