"""The compiled index of triggers and its scoring.

Every trigger example becomes a TF-IDF vector of features — words and character
trigrams for spaced scripts, character uni- and bigrams for Chinese, Japanese and Thai —
stored as an inverted index (feature → examples). A query gathers only the postings of
its own features, so its cost grows with those postings, not with the library. Four
pieces of evidence come out per template:

- `nearest`: cosine of the closest example (a whole message said the same way);
- `contained`: how much of one example's weight appears in the message (a long review
  that contains "stopped working after a week"), scaled down for very short examples;
- `centroid`: cosine with the mean of the template's examples, a linear classifier
  trained on the library's own triggers (so many phrasings vote together);
- `keywords`: the template's keywords present in the message, each weighted by how few
  templates share it.

The best examples of the leading templates are re-scored with rapidfuzz's plain `ratio`
(edit similarity of the whole folded strings: unlike `token_set_ratio` it never scores 100
because one side's words are a subset of the other's), and a logistic blend turns the
evidence into a 0–1 confidence.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from app.classifier import design_matrix, train
from app.text import Normalized, has_unspaced, normalize

MAX_KEYWORD_WORDS = 4
MAX_KEYWORD_CHARS = 12  # Thai vowel and tone marks count as characters
OUT_OF_SCOPE = "_out_of_scope"  # the model's "none of the above" class
RESCORE = 6  # templates explained and re-scored with rapidfuzz
OTHER_CATEGORIES = 3  # best templates of further categories, as alternatives
MAX_DF = 0.02
MAX_POSTINGS = 400  # per feature, for similarity; the linear model sees every feature

# Logistic blend of the evidence; see `confidence`. Six numbers, chosen on the pooled
# figures of the development set (`kefu eval`): few enough not to learn its texts.
W_TEXT = 1.0
W_CENTROID = 2.0
W_KEYWORDS = 1.0
W_CATEGORY = 6.0
W_OUT_OF_SCOPE = 4.0
BIAS = -1.5


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
    similarity: float  # the text evidence: nearest / contained, re-scored
    fuzz: float  # rapidfuzz ratio (0–1) of the nearest example
    centroid: float
    category_probability: float  # the linear model's probability of the template's category
    out_of_scope: float  # the linear model's probability that no template should answer
    keyword_score: float
    trigger: str | None  # the example behind `similarity`, as written in the library
    trigger_language: str | None
    keywords: tuple[str, ...]  # keywords found in the query
    trigger_languages: tuple[str, ...] = ()  # every language whose triggers say the same


def features(norm: Normalized) -> dict[str, float]:
    """Sub-linear term frequencies of a message's features.

    Words and character n-grams of the folded text, plus its signals: a question mark,
    an exclamation mark and each emoji are features too ("are the tires plastic?" asks,
    "the tires are cheap plastic" complains).
    """
    counts: dict[str, int] = defaultdict(int)
    if norm.question:
        counts["s:?"] = 1
    if norm.exclaim:
        counts["s:!"] = 1
    for emoji in norm.emoji:
        counts["e:" + emoji] += 1
    for token in norm.match_text.split():
        if has_unspaced(token):
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


def _size(match_text: str) -> int:
    """Words for spaced text, characters / 2 for unspaced: how much an example says."""
    size = 0.0
    for token in match_text.split():
        size += len(token) / 2 if has_unspaced(token) else 1
    return max(1, round(size))


def _query_phrases(match_text: str) -> Iterable[str]:
    """Every word n-gram and, in unspaced runs, every substring a keyword could be."""
    words = match_text.split()
    for i in range(len(words)):
        for j in range(i + 1, min(i + MAX_KEYWORD_WORDS, len(words)) + 1):
            yield " ".join(words[i:j])
        word = words[i]
        if has_unspaced(word):
            for a in range(len(word)):
                for b in range(a + 1, min(a + MAX_KEYWORD_CHARS, len(word)) + 1):
                    yield word[a:b]
        elif len(word) > 4:
            for end in range(4, len(word)):
                yield word[:end] + "*"  # keyword stems: "ship" also finds "shipping"


class _Postings:
    """feature id → (row ids, weights), packed in flat arrays.

    With `keep`, each feature keeps only its `keep` heaviest postings (impact-ordered
    truncation): a query then costs at most features × keep, whatever the library size,
    and the examples dropped are those where the feature weighed least.
    """

    def __init__(
        self, rows_by_feature: list[list[tuple[int, float]]], keep: int | None = None
    ) -> None:
        if keep is not None:
            rows_by_feature = [
                r if len(r) <= keep else sorted(r, key=lambda e: -e[1])[:keep]
                for r in rows_by_feature
            ]
        lengths = np.fromiter((len(r) for r in rows_by_feature), dtype=np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(lengths)))
        self.rows = np.fromiter(
            (r for entries in rows_by_feature for r, _ in entries), dtype=np.int64
        )
        self.weights = np.fromiter(
            (w for entries in rows_by_feature for _, w in entries), dtype=np.float64
        )

    def gather(
        self, ids: list[int], query: list[float]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, posting weights and the matching query weight of every posting."""
        feature_ids = np.asarray(ids, dtype=np.int64)
        starts = self.offsets[feature_ids]
        lengths = self.offsets[feature_ids + 1] - starts
        total = int(lengths.sum())
        # Concatenated ranges [start, start + length) without a Python loop.
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        index = shift + np.arange(total, dtype=np.int64)
        repeats = np.repeat(np.asarray(query, dtype=np.float64), lengths)
        return self.rows[index], self.weights[index], repeats


class MatchIndex:
    """An immutable index over a library's triggers, built once per library version."""

    key: str = ""  # what it was built from (`index_key`), set by `load_or_build_index`

    def __init__(self, sources: Sequence[TriggerSource], negatives: Sequence[str] = ()) -> None:
        """Index `sources`; `negatives` are out-of-scope messages the model learns to refuse."""
        examples = sorted((s for s in sources if not s.keyword), key=lambda s: s.template_id)
        self.template_ids: list[str] = sorted({s.template_id for s in sources})
        self._template_pos = {t: i for i, t in enumerate(self.template_ids)}
        self._examples = examples
        normalized = [normalize(s.text) for s in examples]
        self._folded = [n.match_text for n in normalized]
        # "thanks!" is an English, a Dutch and a German trigger: all are evidence.
        languages: dict[str, list[str]] = defaultdict(list)
        for source, folded in zip(examples, self._folded, strict=True):
            if source.language not in languages[folded]:
                languages[folded].append(source.language)
        self._languages_of = {k: tuple(v) for k, v in languages.items()}
        self._example_template = np.array(
            [self._template_pos[s.template_id] for s in examples], dtype=np.int64
        )
        self._example_size = np.array([_size(t) for t in self._folded], dtype=np.float64)

        vectors = [features(n) for n in normalized]
        negative_vectors = [features(normalize(text)) for text in negatives]
        doc_freq: dict[str, int] = defaultdict(int)
        for vector in vectors + negative_vectors:
            for feature in vector:
                doc_freq[feature] += 1
        n_docs = max(len(vectors) + len(negative_vectors), 1)
        self._vocab = {f: i for i, f in enumerate(sorted(doc_freq))}
        self._idf = np.array(
            [math.log((1 + n_docs) / (1 + doc_freq[f])) + 1.0 for f in sorted(doc_freq)]
        )

        example_rows: list[list[tuple[int, float]]] = [[] for _ in self._vocab]
        # The prefilter: features in more than MAX_DF of the examples ("g:<th", "?") weigh
        # little in a cosine but fill long postings, so similarity skips them (they stay in
        # the norms and in the linear model).
        common = {self._vocab[f] for f, df in doc_freq.items() if df > MAX_DF * n_docs and df > 50}
        centroids: list[dict[int, float]] = [defaultdict(float) for _ in self.template_ids]
        training_rows: list[list[tuple[int, float]]] = []
        for doc, vector in enumerate(vectors):
            weighted = {self._vocab[f]: tf * self._idf[self._vocab[f]] for f, tf in vector.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            centroid = centroids[self._example_template[doc]]
            training_rows.append([(f, w / norm) for f, w in weighted.items()])
            for fid, weight in weighted.items():
                if fid not in common:
                    example_rows[fid].append((doc, weight / norm))
                centroid[fid] += weight / norm
        centroid_rows: list[list[tuple[int, float]]] = [[] for _ in self._vocab]
        for template, centroid in enumerate(centroids):
            norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
            for fid, weight in centroid.items():
                centroid_rows[fid].append((template, weight / norm))
        self._examples_post = _Postings(example_rows, keep=MAX_POSTINGS)
        self._centroid_post = _Postings(centroid_rows)

        self._keywords: dict[str, list[tuple[int, str]]] = defaultdict(list)
        sharing: dict[str, set[int]] = defaultdict(set)
        for source in sources:
            if not source.keyword:
                continue
            folded = normalize(source.text).match_text
            if not folded:
                continue
            template = self._template_pos[source.template_id]
            keys = [folded]
            if not has_unspaced(folded) and " " not in folded and len(folded) >= 4:
                keys.append(folded + "*")  # a Latin keyword of 4+ letters matches as a stem
            for key in keys:
                self._keywords[key].append((template, source.text))
            sharing[folded].add(template)
        # A keyword many templates share says little: weight 1 / templates sharing it.
        self._keyword_weight = {k: 1.0 / len(v) for k, v in sharing.items()}

        labels = [s.template_id.split(".", 1)[0] for s in examples]
        for source in sources:
            if source.keyword:  # keywords are short training examples of their category
                ids, weights = self._query(normalize(source.text))
                norm = math.sqrt(sum(w * w for w in weights)) or 1.0
                training_rows.append([(i, w / norm) for i, w in zip(ids, weights, strict=True)])
                labels.append(source.template_id.split(".", 1)[0])
        for vector in negative_vectors:
            weighted = {self._vocab[f]: tf * self._idf[self._vocab[f]] for f, tf in vector.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            training_rows.append([(f, w / norm) for f, w in weighted.items()])
            labels.append(OUT_OF_SCOPE)
        self.model = train(design_matrix(training_rows, len(self._vocab)), labels)
        self._category_of_template = np.array(
            [
                self.model.categories.index(t.split(".", 1)[0])
                if t.split(".", 1)[0] in self.model.categories
                else -1
                for t in self.template_ids
            ],
            dtype=np.int64,
        )

    @property
    def size(self) -> int:
        return len(self._examples)

    def _query(self, norm: Normalized) -> tuple[list[int], list[float]]:
        ids: list[int] = []
        weights: list[float] = []
        for feature, tf in features(norm).items():
            fid = self._vocab.get(feature)
            if fid is not None:
                ids.append(fid)
                weights.append(tf * float(self._idf[fid]))
        return ids, weights

    def _keyword_hits(self, match_text: str) -> dict[int, dict[str, float]]:
        hits: dict[int, dict[str, float]] = defaultdict(dict)
        for phrase in _query_phrases(match_text):
            for template, keyword in self._keywords.get(phrase, ()):
                weight = self._keyword_weight.get(phrase.rstrip("*"), 1.0)
                hits[template][keyword] = max(hits[template].get(keyword, 0.0), weight)
        return hits

    def search(self, query: Normalized, limit: int = 5) -> list[Match]:
        """The `limit` best templates, then the best of each other category with evidence."""
        text = query.match_text
        n_templates = len(self.template_ids)
        if not text or not n_templates:
            return []
        ids, weights = self._query(query)
        centroid = np.zeros(n_templates)
        probability = np.zeros(n_templates)
        out_of_scope = 0.0
        best_text = np.zeros(n_templates)
        best_doc = np.full(n_templates, -1, dtype=np.int64)
        doc_text: dict[int, float] = {}
        if ids:
            norm = math.sqrt(sum(w * w for w in weights))
            by_category = self.model.probabilities(ids, [w / norm for w in weights])
            known = self._category_of_template >= 0
            probability[known] = by_category[self._category_of_template[known]]
            if OUT_OF_SCOPE in self.model.categories:
                out_of_scope = float(by_category[self.model.categories.index(OUT_OF_SCOPE)])
            rows, post, q = self._centroid_post.gather(ids, weights)
            if rows.size:
                centroid = np.bincount(rows, weights=post * q / norm, minlength=n_templates).astype(
                    np.float64
                )
            rows, post, q = self._examples_post.gather(ids, weights)
            if rows.size:
                # Only the examples the query touches: cost follows the postings.
                n_examples = len(self._examples)
                nearest = np.bincount(rows, weights=post * q / norm, minlength=n_examples)
                touched = np.flatnonzero(nearest)
                nearest = nearest[touched]
                # A two-word example wholly inside a long message is weak evidence.
                contained = (
                    np.bincount(rows, weights=post * post, minlength=n_examples)[touched]
                    * np.minimum(1.0, self._example_size[touched] / 3.0)
                    * 0.9
                )
                scores = np.maximum(nearest, contained)
                templates = self._example_template[touched]
                np.maximum.at(best_text, templates, scores)
                winners = np.flatnonzero(scores >= best_text[templates])
                best_doc[templates[winners]] = touched[winners]
                firsts = winners
                doc_text = dict(zip(touched[firsts].tolist(), scores[firsts].tolist(), strict=True))
        hits = self._keyword_hits(query.match_text)
        keyword_score = np.zeros(n_templates)
        for template, found in hits.items():
            keyword_score[template] = min(2.0, sum(found.values()))
        rough = (
            W_TEXT * best_text
            + W_CENTROID * centroid
            + W_KEYWORDS * keyword_score
            + W_CATEGORY * probability
            + 10.0 * (best_text >= 0.999)
        )
        count = min(n_templates, max(RESCORE, limit))
        leaders = np.argpartition(-rough, count - 1)[:count].tolist()
        # And the best of every other category with evidence: an alternative of another
        # kind is worth more to an agent than a third variant of the same one.
        covered = {self._category_of_template[t] for t in leaders}
        extra = 0
        for t in np.argsort(-rough).tolist():
            if rough[t] <= 0 or extra >= OTHER_CATEGORIES:
                break
            if self._category_of_template[t] not in covered:
                leaders.append(t)
                covered.add(self._category_of_template[t])
                extra += 1
        matches = [
            self._explain(
                int(t),
                query.match_text,
                int(best_doc[t]),
                doc_text,
                centroid,
                probability,
                keyword_score,
                hits,
                out_of_scope,
            )
            for t in leaders
            if rough[t] > 0
        ]
        matches.sort(key=lambda m: (-m.confidence, m.template_id))
        top = matches[:limit]
        shown = {m.template_id.split(".", 1)[0] for m in top}
        for match in matches[limit:]:
            category = match.template_id.split(".", 1)[0]
            if category not in shown:
                top.append(match)
                shown.add(category)
        return top

    def _explain(
        self,
        template: int,
        text: str,
        doc: int,
        doc_text: dict[int, float],
        centroid: np.ndarray,
        probability: np.ndarray,
        keyword_score: np.ndarray,
        hits: dict[int, dict[str, float]],
        out_of_scope: float,
    ) -> Match:
        similarity = ratio = 0.0
        source = None
        if doc >= 0:
            example = self._folded[doc]
            # Edit similarity can only reach 0.8 between strings of similar length.
            if 0.6 * len(example) <= len(text) <= 1.7 * len(example):
                ratio = fuzz.ratio(text, example) / 100.0
            similarity = max(doc_text[doc], ratio if ratio >= 0.8 else 0.0)
            source = self._examples[doc]
        found = hits.get(template, {})
        keywords = float(keyword_score[template])
        return Match(
            template_id=self.template_ids[template],
            confidence=confidence(
                similarity,
                float(centroid[template]),
                keywords,
                float(probability[template]),
                out_of_scope,
            ),
            similarity=similarity,
            fuzz=ratio,
            centroid=float(centroid[template]),
            category_probability=float(probability[template]),
            out_of_scope=out_of_scope,
            keyword_score=keywords,
            trigger=source.text if source else None,
            trigger_language=source.language if source else None,
            keywords=tuple(found),
            trigger_languages=self._languages_of[self._folded[doc]] if source else (),
        )

    def score_draft(
        self, query: Normalized, sources: Sequence[TriggerSource], category: str
    ) -> Match:
        """How a template that is not in the index (a draft) would score for `query`."""
        return DraftScorer(self, sources, category).score(query)


def confidence(
    similarity: float, centroid: float, keywords: float, category: float, out_of_scope: float
) -> float:
    """Logistic blend of the evidence into 0–1. An identical example is certain."""
    if similarity >= 0.999:
        return 1.0
    z = (
        W_TEXT * similarity
        + W_CENTROID * centroid
        + W_KEYWORDS * keywords
        + W_CATEGORY * category
        - W_OUT_OF_SCOPE * out_of_scope
        + BIAS
    )
    return 1.0 / (1.0 + math.exp(-z))


# Bump when the index's layout or scoring changes: old cache files are then ignored.
INDEX_FORMAT = "kefu-index-4"


def index_key(sources: Sequence[TriggerSource], negatives: Sequence[str]) -> str:
    digest = hashlib.sha256(INDEX_FORMAT.encode())
    for source in sources:
        digest.update(
            f"{source.template_id}\x1f{source.language}\x1f{source.text}\x1f{source.keyword}\x1e".encode()
        )
    for text in negatives:
        digest.update(f"-\x1f{text}\x1e".encode())
    return digest.hexdigest()[:20]


def index_cached(cache_dir: Path | None, key: str) -> bool:
    """Is an index for `key` on disk already (so loading it beats patching)?"""
    return cache_dir is not None and (cache_dir / f"index-{key}.pickle").exists()


def load_or_build_index(
    sources: Sequence[TriggerSource],
    negatives: Sequence[str],
    cache_dir: Path | None,
    current: MatchIndex | None = None,
) -> MatchIndex:
    """Build the index, or load the one built earlier for exactly these triggers.

    The cache lives in the service's own data folder and is written atomically; a file
    that cannot be read is rebuilt, never trusted half-way.
    """
    key = index_key(sources, negatives)
    if current is not None and getattr(current, "key", None) == key:
        return current  # only reply texts changed: the index in memory is still right
    if cache_dir is None:
        index = MatchIndex(sources, negatives)
        index.key = key
        return index
    path = cache_dir / f"index-{key}.pickle"
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)  # our own file, written below
        if isinstance(index, MatchIndex):
            index.key = key
            return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    index = MatchIndex(sources, negatives)
    index.key = key
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, delete=False, suffix=".tmp") as out:
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(out.name, path)
        for stale in cache_dir.glob("index-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only data folder only costs the next start a rebuild
    return index


class DraftScorer:
    """Scores one template that is not in an index, against that index's statistics.

    The template's triggers are weighed with the index's IDF (a feature the library never
    saw counts as the rarest) and its category's probability comes from the index's trained
    model, which a rebuild retrains: so this is the score the template will get give or
    take the retraining, without the seconds a rebuild takes. Used to try drafts and to
    serve a trigger edit at once while the full index is rebuilt.
    """

    def __init__(self, index: MatchIndex, sources: Sequence[TriggerSource], category: str):
        self.index = index
        self.category = category
        self.template_id = sources[0].template_id if sources else f"{category}.draft"
        self._rare = math.log((1 + index.size) / 2) + 1.0
        self._examples: list[tuple[TriggerSource, str, dict[str, float], float]] = []
        centroid: dict[str, float] = defaultdict(float)
        self._keywords: list[tuple[str, str, float]] = []
        for source in sources:
            folded = normalize(source.text)
            if source.keyword:
                if folded.match_text:
                    sharing = len({t for t, _ in index._keywords.get(folded.match_text, ())})
                    self._keywords.append((folded.match_text, source.text, 1.0 / (1 + sharing)))
                continue
            vector = self._weigh(features(folded))
            for f, w in vector.items():
                centroid[f] += w
            scale = min(1.0, _size(folded.match_text) / 3.0) * 0.9
            self._examples.append((source, folded.match_text, vector, scale))
        norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        self._centroid = {f: w / norm for f, w in centroid.items()}

    def _weigh(self, vector: dict[str, float]) -> dict[str, float]:
        vocab, idf = self.index._vocab, self.index._idf
        weighted = {
            f: tf * (float(idf[vocab[f]]) if f in vocab else self._rare)
            for f, tf in vector.items()
        }
        norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
        return {f: w / norm for f, w in weighted.items()}

    def score(self, query: Normalized) -> Match:
        index = self.index
        q = self._weigh(features(query))
        text = query.match_text
        best, best_source, best_folded = 0.0, None, ""
        for source, folded, vector, scale in self._examples:
            nearest = sum(w * vector.get(f, 0.0) for f, w in q.items())
            contained = sum(vector[f] ** 2 for f in q if f in vector) * scale
            score = max(nearest, contained)
            if score > best or best_source is None:
                best, best_source, best_folded = score, source, folded
        centroid = sum(w * self._centroid.get(f, 0.0) for f, w in q.items())
        found: dict[str, float] = {}
        if self._keywords:
            phrases = set(_query_phrases(text))
            for folded, written, weight in self._keywords:
                if folded in phrases or folded + "*" in phrases:
                    found[written] = weight
        keywords = min(2.0, sum(found.values()))
        probability = out_of_scope = 0.0
        ids, weights = index._query(query)
        if ids:
            norm = math.sqrt(sum(w * w for w in weights))
            by_category = index.model.probabilities(ids, [w / norm for w in weights])
            if self.category in index.model.categories:
                probability = float(by_category[index.model.categories.index(self.category)])
            if OUT_OF_SCOPE in index.model.categories:
                out_of_scope = float(by_category[index.model.categories.index(OUT_OF_SCOPE)])
        ratio = 0.0
        if best_folded and 0.6 * len(best_folded) <= len(text) <= 1.7 * len(best_folded):
            ratio = fuzz.ratio(text, best_folded) / 100.0
        similarity = max(best, ratio if ratio >= 0.8 else 0.0)
        return Match(
            template_id=self.template_id,
            confidence=confidence(similarity, centroid, keywords, probability, out_of_scope),
            similarity=similarity,
            fuzz=ratio,
            centroid=centroid,
            category_probability=probability,
            out_of_scope=out_of_scope,
            keyword_score=keywords,
            trigger=best_source.text if best_source else None,
            trigger_language=best_source.language if best_source else None,
            keywords=tuple(found),
        )


class PatchedIndex:
    """A built index with some templates' triggers replaced, until a rebuild catches up.

    Retraining after a trigger edit takes seconds; this serves the edit at once: the
    edited templates are scored by `DraftScorer`s against the base index, the removed
    ones are left out, the rest is the base index unchanged.
    """

    def __init__(
        self,
        base: MatchIndex,
        changed: Mapping[str, Sequence[TriggerSource]],
        removed: Iterable[str],
        key: str,
    ) -> None:
        self.base = base
        self.key = key
        self._hidden = set(changed) | set(removed)
        self._scorers = [
            DraftScorer(base, sources, template_id.split(".", 1)[0])
            for template_id, sources in changed.items()
            if sources
        ]
        self.size = base.size

    def search(self, query: Normalized, limit: int = 5) -> list[Match]:
        if not query.match_text:
            return []
        found = [
            m
            for m in self.base.search(query, limit=limit + len(self._hidden))
            if m.template_id not in self._hidden
        ]
        found.extend(scorer.score(query) for scorer in self._scorers)
        found.sort(key=lambda m: (-m.confidence, m.template_id))
        return found

    def score_draft(
        self, query: Normalized, sources: Sequence[TriggerSource], category: str
    ) -> Match:
        return self.base.score_draft(query, sources, category)
