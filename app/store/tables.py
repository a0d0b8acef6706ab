"""The tables. Documents are the library models as JSON: one shape in files, API and rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Dialect, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC. SQLite keeps no offset, so a value read back is made aware again:
    the API's `date-time` strings always carry one."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    pass


class CategoryRow(Base):
    """A category's title and description, and where it sorts."""

    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(120), default="kefu")


class CategoryVersionRow(Base):
    """Every version of a category's title, description and deleted mark."""

    __tablename__ = "category_versions"

    category_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TemplateRow(Base):
    """The current version of a template (deleted ones stay, marked, until restored)."""

    __tablename__ = "templates"

    id: Mapped[str] = mapped_column(String(129), primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("categories.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))
    # Locales whose text predates the last change of the source locale (JSON list).
    needs_review: Mapped[str] = mapped_column(Text, default="[]")


class TemplateVersionRow(Base):
    """Every version ever saved: who, when, why, and the whole document."""

    __tablename__ = "template_versions"

    template_id: Mapped[str] = mapped_column(String(129), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    needs_review: Mapped[str] = mapped_column(Text, default="[]")


class DocumentRow(Base):
    """Library-wide documents: `shop`, `variables`, `out_of_scope` (versioned too)."""

    __tablename__ = "documents"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))


class DocumentVersionRow(Base):
    __tablename__ = "document_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LibraryStateRow(Base):
    """One row whose counter moves with every change: how replicas notice a new library."""

    __tablename__ = "library_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


class SuggestionCountRow(Base):
    """Suggestions served per day, template, locale, tone and buyer language."""

    __tablename__ = "suggestion_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(129), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(35), primary_key=True)
    tone: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(35), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class FeedbackRow(Base):
    """What an agent or widget did with a suggestion: used, edited or dismissed."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_id: Mapped[str] = mapped_column(String(129), index=True)
    action: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    tone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UnmatchedRow(Base):
    """A message that got no good match (the text goes when retention ends)."""

    __tablename__ = "unmatched"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
