"""The library store: one code path for SQLite (the default) and PostgreSQL.

Every write happens in one transaction that also moves `library_state.revision`, so a
reader either sees the whole change or none of it, and every process sharing the
database notices a new library by a changed revision.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.library import Category, Library, ShopFacts, Template, VariableCatalog
from app.review import needs_review
from app.store.notify import announce
from app.store.tables import (
    CategoryRow,
    CategoryVersionRow,
    DocumentRow,
    DocumentVersionRow,
    LibraryStateRow,
    TemplateRow,
    TemplateVersionRow,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DOCUMENTS = ("shop", "variables", "out_of_scope")


def _canonical(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _now() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, busy_timeout: float = 30.0) -> Engine:
    """An engine; SQLite gets WAL (readers never wait for the writer) and full fsync."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged save survives a crash
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _put_category(
    session: Session,
    category_id: str,
    title: str,
    description: str,
    author: str,
    message: str,
    deleted: bool = False,
) -> int:
    """Make a category read so; a real change is a new version. Returns 1 if it changed."""
    row = session.get(CategoryRow, category_id)
    if row is not None and (row.title, row.description, row.deleted) == (
        title,
        description,
        deleted,
    ):
        return 0
    now = _now()
    if row is None:
        row = CategoryRow(id=category_id, position=_next_category_position(session), version=0)
        session.add(row)
    row.title, row.description, row.deleted = title, description, deleted
    row.version, row.updated_at, row.updated_by = row.version + 1, now, author
    session.add(
        CategoryVersionRow(
            category_id=category_id,
            version=row.version,
            title=title,
            description=description,
            deleted=deleted,
            author=author,
            message=message,
            created_at=now,
        )
    )
    return 1


def _next_category_position(session: Session) -> int:
    last = session.scalar(
        select(CategoryRow.position).order_by(CategoryRow.position.desc()).limit(1)
    )
    return (last + 1) if last is not None else 0


@dataclass(frozen=True)
class VersionInfo:
    template_id: str
    version: int
    author: str
    message: str
    created_at: datetime
    deleted: bool


class LibraryStore:
    """The library's rows, read and written as library models."""

    def __init__(self, url: str, busy_timeout: float = 30.0) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: a change and the revision that announces it commit together."""
        with self._sessions.begin() as session:
            yield session

    @staticmethod
    def _bump(session: Session) -> None:
        session.execute(
            update(LibraryStateRow)
            .where(LibraryStateRow.id == 1)
            .values(revision=LibraryStateRow.revision + 1)
        )
        announce(session)  # PostgreSQL: every replica hears it when this commits

    def revision(self) -> int:
        with self._sessions() as session:
            value = session.scalar(select(LibraryStateRow.revision).where(LibraryStateRow.id == 1))
            return int(value or 0)

    def is_empty(self) -> bool:
        with self._sessions() as session:
            return session.scalar(select(TemplateRow.id).limit(1)) is None

    # ---- whole library ----------------------------------------------------------------

    def import_library(self, library: Library, author: str, message: str = "import") -> int:
        """Make the store hold `library`; changed templates get a new version. Returns
        how many templates and documents changed. Templates absent from `library` are
        left alone (an import adds and updates; it never deletes)."""
        changed = 0
        with self._write() as session:
            for position, category in enumerate(library.categories.values()):
                changed += _put_category(
                    session, category.id, category.title, category.description, author, message
                )
                session.get_one(CategoryRow, category.id).position = position
                for index, template in enumerate(category.templates):
                    changed += self._put_template(
                        session, template, index, author, message, library.shop.default_locale
                    )
            documents = {
                "shop": library.shop.model_dump(mode="json"),
                "variables": {k: v.model_dump(mode="json") for k, v in library.variables.items()},
                "out_of_scope": library.out_of_scope,
            }
            for name, payload in documents.items():
                changed += self._put_document(session, name, payload, author, message)
            if changed:
                self._bump(session)
        return changed

    def _put_template(
        self,
        session: Session,
        template: Template,
        position: int,
        author: str,
        message: str,
        default_locale: str,
    ) -> int:
        document = _canonical(template.model_dump(mode="json"))
        row = session.get(TemplateRow, template.id)
        now = _now()
        if row is not None and row.document == document and not row.deleted:
            row.position = position
            return 0
        version = (row.version + 1) if row is not None else 1
        review: list[str] = []
        if row is None:
            row = TemplateRow(id=template.id)
            session.add(row)
        else:
            old = Template.model_validate_json(row.document)
            review = needs_review(old, template, json.loads(row.needs_review), default_locale)
        row.category, row.position, row.document = template.category, position, document
        row.version, row.deleted, row.updated_at, row.updated_by = version, False, now, author
        row.needs_review = json.dumps(review)
        session.add(
            TemplateVersionRow(
                template_id=template.id,
                version=version,
                document=document,
                deleted=False,
                author=author,
                message=message,
                created_at=now,
                needs_review=row.needs_review,
            )
        )
        return 1

    def _put_document(
        self, session: Session, name: str, payload: Any, author: str, message: str
    ) -> int:
        document = _canonical(payload)
        row = session.get(DocumentRow, name)
        if row is not None and row.document == document:
            return 0
        now = _now()
        version = (row.version + 1) if row is not None else 1
        if row is None:
            row = DocumentRow(name=name)
            session.add(row)
        row.document, row.version, row.updated_at, row.updated_by = document, version, now, author
        session.add(
            DocumentVersionRow(
                name=name,
                version=version,
                document=document,
                author=author,
                message=message,
                created_at=now,
            )
        )
        return 1

    def load_library(self) -> Library:
        """The current library: every category with its templates that are not deleted."""
        with self._sessions() as session:
            categories = session.scalars(
                select(CategoryRow)
                .where(CategoryRow.deleted.is_(False))
                .order_by(CategoryRow.position, CategoryRow.id)
            ).all()
            rows = session.scalars(
                select(TemplateRow)
                .where(TemplateRow.deleted.is_(False))
                .order_by(TemplateRow.category, TemplateRow.position, TemplateRow.id)
            ).all()
            documents = {
                row.name: json.loads(row.document) for row in session.scalars(select(DocumentRow))
            }
        by_category: dict[str, list[Template]] = {}
        for row in rows:
            by_category.setdefault(row.category, []).append(
                Template.model_validate_json(row.document)
            )
        return Library(
            categories={
                c.id: Category.model_validate(
                    {
                        "id": c.id,
                        "title": c.title,
                        "description": c.description,
                        "templates": by_category[c.id],
                    }
                )
                for c in categories
                if by_category.get(c.id)
            },
            shop=ShopFacts.model_validate(documents["shop"]),
            variables=VariableCatalog.model_validate(documents["variables"]).root,
            out_of_scope=documents.get("out_of_scope", {}),
        )

    def history(self, template_id: str) -> list[VersionInfo]:
        with self._sessions() as session:
            rows = session.scalars(
                select(TemplateVersionRow)
                .where(TemplateVersionRow.template_id == template_id)
                .order_by(TemplateVersionRow.version)
            ).all()
        return [
            VersionInfo(r.template_id, r.version, r.author, r.message, r.created_at, r.deleted)
            for r in rows
        ]


class Conflict(Exception):
    """The caller's version is not the current one: someone else saved first."""

    def __init__(self, current: int | None) -> None:
        super().__init__(f"current version is {current}")
        self.current = current


@dataclass(frozen=True)
class StoredTemplate:
    template: Template
    version: int
    deleted: bool
    updated_at: datetime
    updated_by: str
    needs_review: tuple[str, ...] = ()


def _stored(row: TemplateRow) -> StoredTemplate:
    return StoredTemplate(
        Template.model_validate_json(row.document),
        row.version,
        row.deleted,
        row.updated_at,
        row.updated_by,
        tuple(json.loads(row.needs_review or "[]")),
    )


class TemplateEditor:
    """Compare-and-set edits of single templates: a stale version never overwrites."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store

    def get(self, template_id: str) -> StoredTemplate | None:
        with self.store._sessions() as session:
            row = session.get(TemplateRow, template_id)
            return _stored(row) if row is not None else None

    def list(self) -> list[StoredTemplate]:
        with self.store._sessions() as session:
            rows = session.scalars(
                select(TemplateRow).order_by(TemplateRow.category, TemplateRow.position)
            ).all()
            return [_stored(r) for r in rows]

    def _record(self, session: Session, row: TemplateRow, author: str, message: str) -> None:
        session.add(
            TemplateVersionRow(
                template_id=row.id,
                version=row.version,
                document=row.document,
                deleted=row.deleted,
                author=author,
                message=message,
                created_at=row.updated_at,
                needs_review=row.needs_review,
            )
        )
        LibraryStore._bump(session)

    def create(self, template: Template, author: str, message: str) -> StoredTemplate:
        with self.store._write() as session:
            category = session.get(CategoryRow, template.category)
            if category is None or category.deleted:
                raise KeyError(template.category)
            if session.get(TemplateRow, template.id) is not None:
                raise Conflict(session.get(TemplateRow, template.id).version)  # type: ignore[union-attr]
            last = session.scalar(
                select(TemplateRow.position)
                .where(TemplateRow.category == template.category)
                .order_by(TemplateRow.position.desc())
                .limit(1)
            )
            row = TemplateRow(
                id=template.id,
                category=template.category,
                position=(last + 1) if last is not None else 0,
                document=_canonical(template.model_dump(mode="json")),
                version=1,
                deleted=False,
                updated_at=_now(),
                updated_by=author,
                needs_review="[]",
            )
            session.add(row)
            session.flush()
            self._record(session, row, author, message)
            return _stored(row)

    def _change(
        self,
        template_id: str,
        expected: int,
        author: str,
        message: str,
        document: str | None = None,
        deleted: bool | None = None,
        default_locale: str | None = None,
        confirmed: frozenset[str] = frozenset(),
    ) -> StoredTemplate:
        with self.store._write() as session:
            row = session.get(TemplateRow, template_id)
            if row is None:
                raise KeyError(template_id)
            if row.version != expected:
                raise Conflict(row.version)
            values: dict[str, Any] = {
                "version": expected + 1,
                "updated_at": _now(),
                "updated_by": author,
            }
            marked = json.loads(row.needs_review or "[]")
            if document is not None:
                values["document"] = document
                if default_locale is not None:
                    marked = needs_review(
                        Template.model_validate_json(row.document),
                        Template.model_validate_json(document),
                        marked,
                        default_locale,
                    )
            values["needs_review"] = json.dumps([m for m in marked if m not in confirmed])
            if deleted is not None:
                values["deleted"] = deleted
            # Compare-and-set in the UPDATE itself: of two writers that both read version
            # N, exactly one moves it to N + 1; the other changes no row and gets a conflict.
            result = session.execute(
                update(TemplateRow)
                .where(TemplateRow.id == template_id, TemplateRow.version == expected)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(None)  # leaving the block rolls the transaction back
            session.expire(row)
            row = session.get(TemplateRow, template_id)
            assert row is not None
            self._record(session, row, author, message)
            return _stored(row)

    def update(
        self,
        template: Template,
        expected: int,
        author: str,
        message: str,
        default_locale: str = "en",
    ) -> StoredTemplate:
        """Save a new version; locales left behind by a source-text change get marked."""
        document = _canonical(template.model_dump(mode="json"))
        return self._change(
            template.id, expected, author, message, document=document,
            default_locale=default_locale,
        )

    def confirm(
        self, template_id: str, locales: Collection[str], expected: int, author: str
    ) -> StoredTemplate:
        """A translator checked these locales against the source: clear their marks."""
        return self._change(
            template_id,
            expected,
            author,
            "translations confirmed: " + ", ".join(sorted(locales)),
            confirmed=frozenset(locales),
        )

    def delete(self, template_id: str, expected: int, author: str, message: str) -> StoredTemplate:
        return self._change(template_id, expected, author, message, deleted=True)

    def restore(self, template_id: str, expected: int, author: str, message: str) -> StoredTemplate:
        return self._change(template_id, expected, author, message, deleted=False)

    def version(self, template_id: str, version: int) -> Template | None:
        with self.store._sessions() as session:
            row = session.get(TemplateVersionRow, (template_id, version))
            return Template.model_validate_json(row.document) if row is not None else None

    def rollback(
        self,
        template_id: str,
        to_version: int,
        expected: int,
        author: str,
        default_locale: str = "en",
    ) -> StoredTemplate:
        old = self.version(template_id, to_version)
        if old is None:
            raise KeyError(f"{template_id} v{to_version}")
        return self._change(
            template_id,
            expected,
            author,
            f"rollback to version {to_version}",
            document=_canonical(old.model_dump(mode="json")),
            default_locale=default_locale,
        )
