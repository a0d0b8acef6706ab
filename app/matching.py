"""The compiled index of triggers and its scoring.

A query is scored against every trigger example at once through an inverted index of
TF-IDF weighted features (words and character n-grams for spaced scripts, character
uni- and bigrams for Chinese, Japanese and Thai), so the cost grows with the postings of
the query's own features, not with the size of the library. The best triggers of the best
templates are then re-scored with rapidfuzz's plain `ratio` (edit similarity of the whole
folded strings: no subset effect, unlike `token_set_ratio`), and keywords add evidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from app.text import UNSPACED_SCRIPTS, Normalized, normalize, script_of

MAX_KEYWORD_WORDS = 4
MAX_KEYWORD_CHARS = 8


@dataclass(frozen=True, slots=True)
class TriggerSource:
    """One buyer-side trigger as the library states it."""

    template_id: str
    language: str
    text: str
    keyword: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """A template's evidence for one query."""

    template_id: str
    confidence: float
    similarity: float  # TF-IDF cosine of the nearest trigger example
    fuzz: float  # rapidfuzz ratio (0–1) of the nearest example after re-scoring
    trigger: str | None  # the nearest example, as written in the library
    trigger_language: str | None
    keywords: tuple[str, ...]  # keywords found in the query


def _is_unspaced_token(token: str) -> bool:
    return any(script_of(c) in UNSPACED_SCRIPTS for c in token)


def features(match_text: str) -> dict[str, float]:
    """Sub-linear term frequencies of a folded text's features."""
    counts: dict[str, int] = defaultdict(int)
    for token in match_text.split():
        if _is_unspaced_token(token):
            for i, char in enumerate(token):
                counts["c:" + char] += 1
                if i + 1 < len(token):
                    counts["b:" + token[i : i + 2]] += 1
        else:
            counts["w:" + token] += 1
            padded = f"<{token}>"
            for i in range(len(padded) - 2):
                counts["g:" + padded[i : i + 3]] += 1
    return {f: 1.0 + math.log(n) for f, n in counts.items()}


def _query_phrases(match_text: str) -> Iterable[str]:
    """Every word n-gram and, in unspaced runs, every substring a keyword could be."""
    words = match_text.split()
    for i in range(len(words)):
        for j in range(i + 1, min(i + MAX_KEYWORD_WORDS, len(words)) + 1):
            yield " ".join(words[i:j])
        word = words[i]
        if _is_unspaced_token(word):
            for a in range(len(word)):
                for b in range(a + 1, min(a + MAX_KEYWORD_CHARS, len(word)) + 1):
                    yield word[a:b]
        elif len(word) > 4:
            for end in range(4, len(word)):
                yield word[:end] + "*"  # keyword stems: "ship" also finds "shipping"


class MatchIndex:
    """An immutable index over a library's triggers, built once per library version."""

    def __init__(self, sources: Sequence[TriggerSource]) -> None:
        examples = [s for s in sources if not s.keyword]
        self.template_ids: list[str] = sorted({s.template_id for s in sources})
        template_pos = {t: i for i, t in enumerate(self.template_ids)}
        self._template_pos = template_pos
        self._examples = examples
        self._folded = [normalize(s.text).match_text for s in examples]
        self._example_template = np.array(
            [template_pos[s.template_id] for s in examples], dtype=np.int64
        )

        vectors = [features(text) for text in self._folded]
        doc_freq: dict[str, int] = defaultdict(int)
        for vector in vectors:
            for feature in vector:
                doc_freq[feature] += 1
        n_docs = max(len(vectors), 1)
        self._idf = {f: math.log((1 + n_docs) / (1 + df)) + 1.0 for f, df in doc_freq.items()}

        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, vector in enumerate(vectors):
            weighted = {f: tf * self._idf[f] for f, tf in vector.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            for feature, weight in weighted.items():
                postings[feature].append((doc, weight / norm))
        self._post_docs: dict[str, np.ndarray] = {}
        self._post_weights: dict[str, np.ndarray] = {}
        for feature, entries in postings.items():
            self._post_docs[feature] = np.fromiter((d for d, _ in entries), dtype=np.int64)
            self._post_weights[feature] = np.fromiter((w for _, w in entries), dtype=np.float64)

        self._keywords: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for source in sources:
            if source.keyword:
                folded = normalize(source.text).match_text
                if not folded:
                    continue
                key = folded
                if not _is_unspaced_token(folded) and " " not in folded and len(folded) >= 4:
                    key = folded + "*"  # a Latin keyword of 4+ letters matches as a stem
                    self._keywords[folded].append((source.template_id, source.text))
                self._keywords[key].append((source.template_id, source.text))

    @property
    def size(self) -> int:
        return len(self._examples)

    def _similarities(self, match_text: str) -> np.ndarray:
        query = features(match_text)
        weighted = {f: tf * self._idf[f] for f, tf in query.items() if f in self._idf}
        scores = np.zeros(len(self._examples), dtype=np.float64)
        if not weighted:
            return scores
        norm = math.sqrt(sum(w * w for w in weighted.values()))
        for feature, weight in weighted.items():
            docs = self._post_docs[feature]
            scores[docs] += self._post_weights[feature] * (weight / norm)
        return scores

    def _keyword_hits(self, match_text: str) -> dict[str, list[str]]:
        hits: dict[str, list[str]] = defaultdict(list)
        for phrase in _query_phrases(match_text):
            for template_id, keyword in self._keywords.get(phrase, ()):
                if keyword not in hits[template_id]:
                    hits[template_id].append(keyword)
        return hits

    def search(self, query: Normalized, limit: int = 5) -> list[Match]:
        """The best templates for a query, best first, with calibrated confidence."""
        text = query.match_text
        if not text or not self._examples:
            return []
        sims = self._similarities(text)
        # Best example per template: sort by score, keep the first of each template.
        order = np.argsort(-sims, kind="stable")[: max(64, limit * 8)]
        best: dict[int, int] = {}
        for doc in order:
            if sims[doc] <= 0:
                break
            template = int(self._example_template[doc])
            best.setdefault(template, int(doc))
        hits = self._keyword_hits(text)
        candidates = set(best) | {self._template_pos[t] for t in hits}
        matches = []
        for template in candidates:
            template_id = self.template_ids[template]
            doc = best.get(template)
            similarity = float(sims[doc]) if doc is not None else 0.0
            ratio = fuzz.ratio(text, self._folded[doc]) / 100.0 if doc is not None else 0.0
            keywords = tuple(hits.get(template_id, ()))
            confidence = _confidence(similarity, ratio, len(keywords))
            matches.append(
                Match(
                    template_id=template_id,
                    confidence=confidence,
                    similarity=round(similarity, 4),
                    fuzz=round(ratio, 4),
                    trigger=self._examples[doc].text if doc is not None else None,
                    trigger_language=self._examples[doc].language if doc is not None else None,
                    keywords=keywords,
                )
            )
        matches.sort(key=lambda m: (-m.confidence, m.template_id))
        return matches[:limit]


def _confidence(similarity: float, ratio: float, keywords: int) -> float:
    """Blend the evidence into 0–1: near-identical text is certain, keywords add support."""
    text_score = max(similarity, 0.5 * similarity + 0.5 * ratio)
    keyword_score = min(0.3, 0.15 * keywords)
    return round(min(1.0, text_score + keyword_score * (1.0 - text_score)), 4)
