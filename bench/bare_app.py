"""The ceiling `bench/http.py` compares against: FastAPI with the same request body as
`POST /v1/suggest` (the same pydantic model, so parsing and validation cost the same),
an `async def` route, and a small JSON answer; no work beyond that."""

from __future__ import annotations

from fastapi import FastAPI

from app.api.models import SuggestBody

app = FastAPI()


@app.post("/v1/suggest")
async def bare(body: SuggestBody) -> dict[str, object]:
    return {"ok": True, "chars": len(body.message)}
