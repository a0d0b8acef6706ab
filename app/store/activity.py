"""What the library is doing: suggestions served, feedback, messages nothing matched.

Counting must not slow a suggestion: served suggestions and unmatched messages are kept
in memory and written in batches by `flush` (the service calls it every few seconds and
on shutdown). Feedback is rare and written at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.store.repository import LibraryStore
from app.store.tables import FeedbackRow, SuggestionCountRow, UnmatchedRow
from app.text import normalize

CountKey = tuple[date, str, str, str, str, str]  # day, template, category, locale, tone, lang
GROUP_SIMILARITY = 75  # token_sort_ratio at which two unmatched messages are one question
# The same text again this soon is the same buyer message seen twice (the console asks
# again when the agent changes the language or tone, and its "send to the unmatched list"
# button follows the service's own record of a message nothing matched): keep it once.
REPEAT_SECONDS = 120.0
_RECENT_LIMIT = 2000


@dataclass(frozen=True)
class UnmatchedGroup:
    example: str
    count: int
    ids: list[int]
    languages: list[str]


_COUNT_KEY = ("day", "template_id", "category", "locale", "tone", "language")


def _add_counts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add counts to their rows in one upsert (a SELECT per key held the GIL for
    milliseconds per flush, taken from the requests being served)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        for row in rows:
            key = {k: row[k] for k in _COUNT_KEY}
            stored = session.get(SuggestionCountRow, key)
            if stored is None:
                session.add(SuggestionCountRow(**row))
            else:
                stored.count += row["count"]
        return
    upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(SuggestionCountRow)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=list(_COUNT_KEY),
            set_={"count": SuggestionCountRow.count + upsert.excluded["count"]},
        ),
        rows,
    )


class ActivityLog:
    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._counts: Counter[CountKey] = Counter()
        self._unmatched: list[tuple[str, str, datetime]] = []
        self._recent: dict[str, float] = {}  # message -> monotonic time it was recorded

    # ---- the hot path: memory only ---------------------------------------------------

    def served(
        self, template_id: str, category: str, locale: str, tone: str, language: str
    ) -> None:
        key = (datetime.now(UTC).date(), template_id, category, locale, tone, language)
        with self._lock:
            self._counts[key] += 1

    def unmatched(self, message: str, language: str) -> bool:
        """Keep a message nothing matched; False when it is a repeat just recorded."""
        now = time.monotonic()
        with self._lock:
            seen = self._recent.get(message)
            if seen is not None and now - seen < REPEAT_SECONDS:
                return False
            if len(self._recent) >= _RECENT_LIMIT:
                self._recent = {m: t for m, t in self._recent.items() if now - t < REPEAT_SECONDS}
                if len(self._recent) >= _RECENT_LIMIT:  # a flood: forget rather than grow
                    self._recent.clear()
            self._recent[message] = now
            self._unmatched.append((message, language, datetime.now(UTC)))
            return True

    # ---- batches ----------------------------------------------------------------------

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            unmatched, self._unmatched = self._unmatched, []
        if not counts and not unmatched:
            return
        try:
            with self.store._write() as session:
                _add_counts(
                    session,
                    [
                        {
                            "day": day,
                            "template_id": template,
                            "category": category,
                            "locale": locale,
                            "tone": tone,
                            "language": language,
                            "count": n,
                        }
                        for (day, template, category, locale, tone, language), n in counts.items()
                    ],
                )
                if unmatched:
                    # One multi-row INSERT: these batches run beside the request path.
                    session.execute(
                        insert(UnmatchedRow),
                        [
                            {"message": m, "language": lang, "created_at": at}
                            for m, lang, at in unmatched
                        ],
                    )
        except Exception:
            with self._lock:  # keep them for the next flush rather than lose them
                self._counts.update(counts)
                self._unmatched[:0] = unmatched
            raise

    def purge(self, retention_days: int) -> int:
        """Forget the text of unmatched messages older than the retention; keep the count."""
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        with self.store._write() as session:
            result = session.execute(
                update(UnmatchedRow)
                .where(UnmatchedRow.created_at < cutoff, UnmatchedRow.message.is_not(None))
                .values(message=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # ---- feedback and reading ---------------------------------------------------------

    def feedback(self, template_id: str, action: str, locale: str | None, tone: str | None) -> None:
        with self.store._write() as session:
            session.add(
                FeedbackRow(
                    template_id=template_id,
                    action=action,
                    locale=locale,
                    tone=tone,
                    created_at=datetime.now(UTC),
                )
            )

    def unmatched_groups(self, limit: int = 50, scan: int = 2000) -> list[UnmatchedGroup]:
        """Recent unmatched messages grouped by similarity, largest group first."""
        self.flush()
        with self.store._sessions() as session:
            rows = session.execute(
                select(UnmatchedRow.id, UnmatchedRow.message, UnmatchedRow.language)
                .where(UnmatchedRow.message.is_not(None))
                .order_by(UnmatchedRow.id.desc())
                .limit(scan)
            ).all()
        groups: list[dict[str, Any]] = []
        for row_id, message, language in rows:
            folded = normalize(message or "").match_text
            for group in groups:
                if fuzz.token_sort_ratio(folded, group["key"]) >= GROUP_SIMILARITY:
                    group["ids"].append(row_id)
                    group["languages"].add(language)
                    break
            else:
                groups.append(
                    {"key": folded, "example": message, "ids": [row_id], "languages": {language}}
                )
        groups.sort(key=lambda g: -len(g["ids"]))
        return [
            UnmatchedGroup(g["example"], len(g["ids"]), g["ids"], sorted(g["languages"]))
            for g in groups[:limit]
        ]

    def unmatched_message(self, unmatched_id: int) -> tuple[str, str] | None:
        with self.store._sessions() as session:
            row = session.get(UnmatchedRow, unmatched_id)
            if row is None or row.message is None:
                return None
            return row.message, row.language

    def insights(self, days: int = 30) -> dict[str, Any]:
        self.flush()
        since = datetime.now(UTC).date() - timedelta(days=days - 1)
        with self.store._sessions() as session:
            volume = session.execute(
                select(
                    SuggestionCountRow.day,
                    SuggestionCountRow.category,
                    SuggestionCountRow.language,
                    func.sum(SuggestionCountRow.count),
                )
                .where(SuggestionCountRow.day >= since)
                .group_by(
                    SuggestionCountRow.day, SuggestionCountRow.category, SuggestionCountRow.language
                )
            ).all()
            top = session.execute(
                select(SuggestionCountRow.template_id, func.sum(SuggestionCountRow.count))
                .where(SuggestionCountRow.day >= since)
                .group_by(SuggestionCountRow.template_id)
                .order_by(func.sum(SuggestionCountRow.count).desc())
                .limit(20)
            ).all()
            actions = session.execute(
                select(FeedbackRow.template_id, FeedbackRow.action, func.count()).group_by(
                    FeedbackRow.template_id, FeedbackRow.action
                )
            ).all()
            unmatched_total = session.scalar(select(func.count()).select_from(UnmatchedRow))
        by_template: dict[str, Counter[str]] = defaultdict(Counter)
        for template_id, action, n in actions:
            by_template[template_id][action] += n
        return {
            "volume": [
                {"day": d.isoformat(), "category": c, "language": lang, "count": int(n)}
                for d, c, lang, n in sorted(volume)
            ],
            "top_templates": [{"template_id": t, "count": int(n)} for t, n in top],
            "feedback": [
                {
                    "template_id": t,
                    "used": a["used"],
                    "edited": a["edited"],
                    "dismissed": a["dismissed"],
                    "dismiss_rate": round(a["dismissed"] / max(1, sum(a.values())), 4),
                }
                for t, a in sorted(
                    by_template.items(),
                    key=lambda kv: -kv[1]["dismissed"] / max(1, sum(kv[1].values())),
                )
            ],
            "unmatched_total": int(unmatched_total or 0),
            "unmatched_groups": [g.__dict__ for g in self.unmatched_groups(limit=10)],
        }
