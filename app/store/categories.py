"""Compare-and-set edits of categories: title, description, soft delete and restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.store.repository import Conflict, LibraryStore, _put_category
from app.store.tables import CategoryRow, CategoryVersionRow, TemplateRow


@dataclass(frozen=True)
class StoredCategory:
    id: str
    title: str
    description: str
    version: int
    deleted: bool
    updated_at: datetime | None
    updated_by: str
    templates: int  # live (not deleted) templates


@dataclass(frozen=True)
class CategoryVersion:
    version: int
    title: str
    description: str
    deleted: bool
    author: str
    message: str
    created_at: datetime


class NotEmpty(Exception):
    """A category that still has live templates cannot be deleted."""


class CategoryEditor:
    def __init__(self, store: LibraryStore) -> None:
        self.store = store

    def all(self) -> list[StoredCategory]:
        with self.store._sessions() as session:
            live = (
                select(TemplateRow.category, func.count())
                .where(TemplateRow.deleted.is_(False))
                .group_by(TemplateRow.category)
            )
            counts: dict[str, int] = {row[0]: row[1] for row in session.execute(live)}
            rows = session.scalars(
                select(CategoryRow).order_by(CategoryRow.position, CategoryRow.id)
            ).all()
            return [_stored(r, counts.get(r.id, 0)) for r in rows]

    def get(self, category_id: str) -> StoredCategory | None:
        return next((c for c in self.all() if c.id == category_id), None)

    def create(self, category_id: str, title: str, description: str, author: str) -> StoredCategory:
        with self.store._write() as session:
            existing = session.get(CategoryRow, category_id)
            if existing is not None:
                raise Conflict(existing.version)
            _put_category(session, category_id, title, description, author, "created")
            LibraryStore._bump(session)
        created = self.get(category_id)
        assert created is not None
        return created

    def change(
        self,
        category_id: str,
        expected: int,
        author: str,
        message: str,
        title: str | None = None,
        description: str | None = None,
        deleted: bool | None = None,
    ) -> StoredCategory:
        with self.store._write() as session:
            # FOR UPDATE on PostgreSQL; SQLite's single writer serialises anyway.
            row = session.scalar(
                select(CategoryRow).where(CategoryRow.id == category_id).with_for_update()
            )
            if row is None:
                raise KeyError(category_id)
            if row.version != expected:
                raise Conflict(row.version)
            if deleted:
                live = session.scalar(
                    select(func.count())
                    .select_from(TemplateRow)
                    .where(TemplateRow.category == category_id, TemplateRow.deleted.is_(False))
                )
                if live:
                    raise NotEmpty(f"{category_id} still has {live} templates")
            if _put_category(
                session,
                category_id,
                title if title is not None else row.title,
                description if description is not None else row.description,
                author,
                message,
                deleted=deleted if deleted is not None else row.deleted,
            ):
                LibraryStore._bump(session)
        changed = self.get(category_id)
        assert changed is not None
        return changed

    def history(self, category_id: str) -> list[CategoryVersion]:
        with self.store._sessions() as session:
            rows = session.scalars(
                select(CategoryVersionRow)
                .where(CategoryVersionRow.category_id == category_id)
                .order_by(CategoryVersionRow.version)
            ).all()
            return [
                CategoryVersion(
                    r.version, r.title, r.description, r.deleted, r.author, r.message, r.created_at
                )
                for r in rows
            ]


def _stored(row: CategoryRow, templates: int) -> StoredCategory:
    return StoredCategory(
        row.id,
        row.title,
        row.description,
        row.version,
        row.deleted,
        row.updated_at,
        row.updated_by,
        templates,
    )
