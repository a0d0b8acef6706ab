"""Compare-and-set edits of the library-wide documents (the shop's facts), with history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.store.repository import Conflict, LibraryStore, _canonical, _now
from app.store.tables import DocumentRow, DocumentVersionRow


@dataclass(frozen=True)
class StoredDocument:
    name: str
    payload: Any
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class DocumentVersion:
    version: int
    payload: Any
    author: str
    message: str
    created_at: datetime


class DocumentEditor:
    def __init__(self, store: LibraryStore) -> None:
        self.store = store

    def get(self, name: str) -> StoredDocument | None:
        with self.store._sessions() as session:
            row = session.get(DocumentRow, name)
            if row is None:
                return None
            return StoredDocument(
                name, json.loads(row.document), row.version, row.updated_at, row.updated_by
            )

    def update(
        self, name: str, payload: Any, expected: int, author: str, message: str
    ) -> StoredDocument:
        document = _canonical(payload)
        now = _now()
        with self.store._write() as session:
            row = session.get(DocumentRow, name)
            if row is None:
                raise KeyError(name)
            if row.version != expected:
                raise Conflict(row.version)
            # Compare-and-set in the UPDATE: of two writers on version N, one wins.
            result = session.execute(
                update(DocumentRow)
                .where(DocumentRow.name == name, DocumentRow.version == expected)
                .values(document=document, version=expected + 1, updated_at=now, updated_by=author)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(None)
            session.add(
                DocumentVersionRow(
                    name=name,
                    version=expected + 1,
                    document=document,
                    author=author,
                    message=message,
                    created_at=now,
                )
            )
            LibraryStore._bump(session)
        return StoredDocument(name, json.loads(document), expected + 1, now, author)

    def history(self, name: str) -> list[DocumentVersion]:
        with self.store._sessions() as session:
            rows = session.scalars(
                select(DocumentVersionRow)
                .where(DocumentVersionRow.name == name)
                .order_by(DocumentVersionRow.version)
            ).all()
            return [
                DocumentVersion(
                    r.version, json.loads(r.document), r.author, r.message, r.created_at
                )
                for r in rows
            ]

    def version(self, name: str, version: int) -> Any | None:
        with self.store._sessions() as session:
            row = session.get(DocumentVersionRow, (name, version))
            return json.loads(row.document) if row is not None else None
