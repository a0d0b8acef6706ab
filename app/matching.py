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
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz
from scipy import sparse

from app.classifier import centroid_model
from app.classifier import train as train_model
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


class Match(NamedTuple):
    """A template's evidence for one query.

    A named tuple rather than a frozen dataclass: a search builds about ten per ask, and
    a tuple is several times cheaper to create.
    """

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


@lru_cache(maxsize=1 << 16)
def _token_features(token: str) -> tuple[str, ...]:
    """The features one token contributes (buyers reuse words, so this is cached)."""
    out: list[str] = []
    if has_unspaced(token):
        for i, char in enumerate(token):
            out.append("c:" + char)
            if i + 1 < len(token):
                out.append("b:" + token[i : i + 2])
    else:
        out.append("w:" + token)
        padded = f"<{token}>"
        out.extend("g:" + padded[i : i + 3] for i in range(len(padded) - 2))
    return tuple(out)


def features(norm: Normalized) -> dict[str, float]:
    """Sub-linear term frequencies of a message's features.

    Words and character n-grams of the folded text, plus its signals: a question mark,
    an exclamation mark and each emoji are features too ("are the tires plastic?" asks,
    "the tires are cheap plastic" complains).
    """
    counts: Counter[str] = Counter()
    if norm.question:
        counts["s:?"] = 1
    if norm.exclaim:
        counts["s:!"] = 1
    counts.update("e:" + emoji for emoji in norm.emoji)
    counts.update(chain.from_iterable(map(_token_features, norm.match_text.split())))
    return {f: 1.0 if n == 1 else 1.0 + math.log(n) for f, n in counts.items()}


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

    def __init__(self, offsets: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> None:
        self.offsets = offsets
        self.rows = rows
        self.weights = weights

    @classmethod
    def build(
        cls,
        features: np.ndarray,
        rows: np.ndarray,
        weights: np.ndarray,
        n_features: int,
        keep: int | None = None,
    ) -> _Postings:
        """From (feature, row, weight) triples given in row order; each feature's postings
        stay in row order, or heaviest first (ties in row order) where `keep` cuts them."""
        counts = np.bincount(features, minlength=n_features)
        if keep is not None:
            cut = counts[features] > keep
            order = np.lexsort((rows, np.where(cut, -weights, 0.0), features))
        else:
            order = np.lexsort((rows, features))
        features, rows, weights = features[order], rows[order], weights[order]
        if keep is not None:
            starts = np.concatenate(([0], np.cumsum(counts)))[:-1]
            rank = np.arange(features.size) - starts[features]
            chosen = rank < keep
            features, rows, weights = features[chosen], rows[chosen], weights[chosen]
            counts = np.minimum(counts, keep)
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(offsets, rows.astype(np.int64), weights.astype(np.float64))

    def gather(
        self, ids: np.ndarray, query: np.ndarray, labels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows, posting weights, the matching query weight and the query's label of every
        posting of `ids` (several queries' features, concatenated)."""
        starts = self.offsets[ids]
        lengths = self.offsets[ids + 1] - starts
        total = int(lengths.sum())
        # Concatenated ranges [start, start + length) without a Python loop.
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        index = shift + np.arange(total, dtype=np.int64)
        return (
            self.rows[index],
            self.weights[index],
            np.repeat(query, lengths),
            np.repeat(labels, lengths),
        )


def _native(array: np.ndarray) -> np.ndarray:
    """The same numbers with numpy's canonical dtype object."""
    return array.astype(np.dtype(array.dtype.str), copy=True)


class _Scratch(threading.local):
    """Per-thread accumulators over every example, zeroed again after each use.

    Summing a query's postings per example by scattering into these costs time in
    proportion to the postings, never to the library's size (no allocation, no sort).
    """

    def __init__(self, size: int) -> None:
        self.nearest = np.zeros(size)
        self.overlap = np.zeros(size)
        self.last = np.zeros(size, dtype=np.int64)

    def sum_per_row(
        self, rows: np.ndarray, nearest: np.ndarray, overlap: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct rows (in no particular order) and both weights summed per row,
        added in the order given (the same floats as `np.bincount`)."""
        positions = np.arange(rows.size)
        self.last[rows] = positions
        touched = rows[self.last[rows] == positions]
        np.add.at(self.nearest, rows, nearest)
        np.add.at(self.overlap, rows, overlap)
        sums = self.nearest[touched], self.overlap[touched]
        self.nearest[touched] = 0.0
        self.overlap[touched] = 0.0
        return touched, *sums


class MatchIndex:
    """An immutable index over a library's triggers, built once per library version."""

    key: str = ""  # what it was built from (`index_key`), set by `load_or_build_index`

    trained: bool = True  # False: the category model is `centroid_model`, not `train`'s

    def __init__(
        self, sources: Sequence[TriggerSource], negatives: Sequence[str] = (), train: bool = True
    ) -> None:
        """Index `sources`; `negatives` are out-of-scope messages the model learns to refuse.

        With `train=False` the category model is a nearest-centroid one, built at once:
        a provisional index to answer with while the trained one is built.
        """
        examples = sorted((s for s in sources if not s.keyword), key=lambda s: s.template_id)
        self.template_ids: list[str] = sorted({s.template_id for s in sources})
        self._template_pos = {t: i for i, t in enumerate(self.template_ids)}
        n_templates = len(self.template_ids)
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
        doc_freq: Counter[str] = Counter()
        for vector in chain(vectors, negative_vectors):
            doc_freq.update(vector.keys())
        n_docs = max(len(vectors) + len(negative_vectors), 1)
        vocabulary = sorted(doc_freq)
        self._vocab = {f: i for i, f in enumerate(vocabulary)}
        self._idf = np.array(
            [math.log((1 + n_docs) / (1 + doc_freq[f])) + 1.0 for f in vocabulary]
        )
        self._idf_list: list[float] = self._idf.tolist()
        n_features = len(vocabulary)

        # Every example's (feature, weight) pairs as flat arrays, L2-normalised per example.
        docs, fids, weights, lengths = self._weigh(vectors)
        # The prefilter: features in more than MAX_DF of the examples ("g:<th", "?") weigh
        # little in a cosine but fill long postings, so similarity skips them (they stay in
        # the norms and in the linear model).
        df = np.array([doc_freq[f] for f in vocabulary], dtype=np.int64)
        common = (df > MAX_DF * n_docs) & (df > 50)
        kept = ~common[fids] if fids.size else np.zeros(0, dtype=bool)
        self._examples_post = _Postings.build(
            fids[kept], docs[kept], weights[kept], n_features, keep=MAX_POSTINGS
        )
        # Centroids: the sum of a template's example vectors, L2-normalised.
        template_of = self._example_template[docs]
        keys = template_of * n_features + fids
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        sums = np.bincount(inverse, weights=weights, minlength=unique.size)
        owner = unique // n_features
        by_template = np.lexsort((first, owner))  # each template's features as first seen
        norms = np.sqrt(
            np.bincount(owner[by_template], weights=sums[by_template] ** 2, minlength=n_templates)
        )
        norms[norms == 0] = 1.0
        self._centroid_post = _Postings.build(
            unique % n_features, owner, sums / norms[owner], n_features
        )
        training_parts = [(fids, weights, lengths)]

        keyword_norms = {s.text: normalize(s.text) for s in sources if s.keyword}
        self._keywords: dict[str, list[tuple[int, str]]] = defaultdict(list)
        sharing: dict[str, set[int]] = defaultdict(set)
        for source in sources:
            if not source.keyword:
                continue
            folded = keyword_norms[source.text].match_text
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
        keyword_ids: list[int] = []
        keyword_weights: list[float] = []
        keyword_lengths: list[int] = []
        for source in sources:
            if source.keyword:  # keywords are short training examples of their category
                ids, weights_k = self._query(keyword_norms[source.text])
                norm = math.sqrt(sum(w * w for w in weights_k)) or 1.0
                keyword_ids.extend(ids)
                keyword_weights.extend(w / norm for w in weights_k)
                keyword_lengths.append(len(ids))
                labels.append(source.template_id.split(".", 1)[0])
        training_parts.append(
            (
                np.asarray(keyword_ids, dtype=np.int64),
                np.asarray(keyword_weights, dtype=np.float64),
                np.asarray(keyword_lengths, dtype=np.int64),
            )
        )
        _, negative_fids, negative_weights, negative_lengths = self._weigh(negative_vectors)
        training_parts.append((negative_fids, negative_weights, negative_lengths))
        labels.extend([OUT_OF_SCOPE] * len(negative_vectors))
        all_lengths = np.concatenate([part[2] for part in training_parts])
        matrix = sparse.csr_matrix(
            (
                np.concatenate([part[1] for part in training_parts]),
                np.concatenate([part[0] for part in training_parts]),
                np.concatenate(([0], np.cumsum(all_lengths))),
            ),
            shape=(all_lengths.size, n_features),
        )
        self.model = train_model(matrix, labels) if train else centroid_model(matrix, labels)
        self.trained = train
        self._category_of_template = np.array(
            [
                self.model.categories.index(t.split(".", 1)[0])
                if t.split(".", 1)[0] in self.model.categories
                else -1
                for t in self.template_ids
            ],
            dtype=np.int64,
        )
        self._prepare()

    # Derived from the rest by `_prepare`: not stored in the cache file, rebuilt on load,
    # so a cached index can never carry stale or missing lookup structures.
    _DERIVED = (
        "_idf_list",
        "_category_list",
        "_categories",
        "_keyword_first_words",
        "_keyword_longest",
        "_stem_heads",
        "_out_of_scope_class",
        "_scratch",
        "_example_weight",
    )

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in self._DERIVED}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        # Unpickled arrays carry dtype objects that are equal to, but not, numpy's own;
        # several ufuncs (`np.add.at` among them) then leave their fast path, ~15× slower.
        for name, value in list(self.__dict__.items()):
            if isinstance(value, np.ndarray):
                setattr(self, name, _native(value))
        for postings in (self._examples_post, self._centroid_post):
            postings.offsets = _native(postings.offsets)
            postings.rows = _native(postings.rows)
            postings.weights = _native(postings.weights)
        self.model = replace(
            self.model, weights=_native(self.model.weights), bias=_native(self.model.bias)
        )
        self._prepare()

    @property
    def size(self) -> int:
        return len(self._examples)

    def _weigh(
        self, vectors: Sequence[dict[str, float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Vectors as flat (row, feature id, TF-IDF weight / row norm) arrays and the
        number of features of each row, in the vectors' own order."""
        lengths = np.fromiter(map(len, vectors), dtype=np.int64, count=len(vectors))
        total = int(lengths.sum())
        vocab = self._vocab
        fids = np.fromiter(
            map(vocab.__getitem__, chain.from_iterable(vectors)), dtype=np.int64, count=total
        )
        tfs = np.fromiter(
            chain.from_iterable(v.values() for v in vectors), dtype=np.float64, count=total
        )
        rows = np.repeat(np.arange(len(vectors), dtype=np.int64), lengths)
        weights = tfs * self._idf[fids]
        norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=len(vectors)))
        norms[norms == 0] = 1.0
        return rows, fids, weights / norms[rows], lengths

    def _prepare(self) -> None:
        """Lookup structures derived from the index, for cheap queries (`_DERIVED`)."""
        self._idf_list = self._idf.tolist()
        self._scratch = _Scratch(len(self._examples))
        self._example_weight = np.minimum(1.0, self._example_size / 3.0)
        self._category_list: list[int] = self._category_of_template.tolist()
        self._categories: list[str] = [t.split(".", 1)[0] for t in self.template_ids]
        first_words: set[str] = set()
        longest: dict[str, int] = {}
        stems: set[str] = set()
        for key in self._keywords:
            if key.endswith("*"):
                stems.add(key[:4])
                continue
            first_words.add(key.split()[0])
            if " " not in key:  # any one-word keyword can sit inside an unspaced run
                longest[key[0]] = max(longest.get(key[0], 0), len(key))
        self._keyword_first_words = frozenset(first_words)
        self._keyword_longest = longest  # one-word keywords: longest per first character
        self._stem_heads = frozenset(stems)
        self._out_of_scope_class = (
            self.model.categories.index(OUT_OF_SCOPE)
            if OUT_OF_SCOPE in self.model.categories
            else -1
        )

    def _query(self, norm: Normalized) -> tuple[list[int], list[float]]:
        ids: list[int] = []
        weights: list[float] = []
        vocab = self._vocab
        idf = self._idf_list
        for feature, tf in features(norm).items():
            fid = vocab.get(feature)
            if fid is not None:
                ids.append(fid)
                weights.append(tf * idf[fid])
        return ids, weights

    def _keyword_hits(self, match_text: str) -> dict[int, dict[str, float]]:
        """Keywords in the text: word n-grams, Latin stems, CJK/Thai substrings.

        Word n-grams up to MAX_KEYWORD_WORDS, in unspaced runs substrings up to
        MAX_KEYWORD_CHARS, and stems of longer Latin words; only phrases that can start a
        keyword are looked up.
        """
        hits: dict[int, dict[str, float]] = defaultdict(dict)
        keywords = self._keywords
        weight_of = self._keyword_weight

        def found(phrase: str) -> None:
            for template, keyword in keywords.get(phrase, ()):
                weight = weight_of.get(phrase.rstrip("*"), 1.0)
                hits[template][keyword] = max(hits[template].get(keyword, 0.0), weight)

        words = match_text.split()
        for i, word in enumerate(words):
            if word in self._keyword_first_words:
                for j in range(i + 1, min(i + MAX_KEYWORD_WORDS, len(words)) + 1):
                    found(" ".join(words[i:j]))
            if has_unspaced(word):
                for a, char in enumerate(word):
                    longest = self._keyword_longest.get(char)
                    if longest:
                        stop = min(a + min(longest, MAX_KEYWORD_CHARS), len(word))
                        for b in range(a + 1, stop + 1):
                            found(word[a:b])
            elif len(word) > 4 and word[:4] in self._stem_heads:
                for end in range(4, len(word)):
                    found(word[:end] + "*")  # keyword stems: "ship" also finds "shipping"
        return hits

    def search(self, query: Normalized, limit: int = 5) -> list[Match]:
        """The `limit` best templates, then the best of each other category with evidence."""
        return self.search_many([query], limit)[0]

    def search_many(self, queries: Sequence[Normalized], limit: int = 5) -> list[list[Match]]:
        """`search` for several queries at once (a message and its asks).

        One pass of array operations serves every query, so their fixed cost is paid once
        per message rather than once per ask.
        """
        results: list[list[Match]] = [[] for _ in queries]
        n_templates = len(self.template_ids)
        live = [i for i, q in enumerate(queries) if q.match_text]
        if not n_templates or not live:
            return results
        nq = len(live)
        all_ids: list[int] = []
        all_weights: list[float] = []
        lengths: list[int] = []
        norms: list[float] = []
        for i in live:
            ids, weights = self._query(queries[i])
            all_ids.extend(ids)
            all_weights.extend(weights)
            lengths.append(len(ids))
            norms.append(math.sqrt(sum(w * w for w in weights)) if ids else 1.0)
        centroid: np.ndarray = np.zeros((nq, n_templates))
        probability = np.zeros((nq, n_templates))
        out_of_scope = np.zeros(nq)
        best_flat = np.zeros(nq * n_templates)
        doc_flat = np.full(nq * n_templates, -1, dtype=np.int64)
        if all_ids:
            ids_a = np.asarray(all_ids, dtype=np.int64)
            weights_a = np.asarray(all_weights, dtype=np.float64)
            lengths_a = np.asarray(lengths, dtype=np.int64)
            labels = np.repeat(np.arange(nq, dtype=np.int64), lengths_a)
            norm_a = np.asarray(norms)
            with_ids = np.flatnonzero(lengths_a)
            starts = (np.cumsum(lengths_a) - lengths_a)[with_ids]
            by_category = self.model.probabilities_many(
                ids_a, weights_a / norm_a[labels], starts
            )
            known = self._category_of_template >= 0
            probability[np.ix_(with_ids, np.flatnonzero(known))] = by_category[
                :, self._category_of_template[known]
            ]
            if self._out_of_scope_class >= 0:
                out_of_scope[with_ids] = by_category[:, self._out_of_scope_class]
            rows, post, q, owner = self._centroid_post.gather(ids_a, weights_a, labels)
            if rows.size:
                centroid = np.bincount(
                    owner * n_templates + rows,
                    weights=post * q / norm_a[owner],
                    minlength=nq * n_templates,
                ).reshape(nq, n_templates)
            rows, post, q, owner = self._examples_post.gather(ids_a, weights_a, labels)
            if rows.size:
                # Only the examples the queries touch: cost follows the postings.
                near_w = post * q / norm_a[owner]
                over_w = post * post
                bounds = np.searchsorted(owner, np.arange(nq + 1)).tolist()
                scratch = self._scratch
                for j in range(nq):
                    a, b = bounds[j], bounds[j + 1]
                    if a == b:
                        continue
                    examples, nearest, overlap = scratch.sum_per_row(
                        rows[a:b], near_w[a:b], over_w[a:b]
                    )
                    # A two-word example wholly inside a long message is weak evidence.
                    contained = overlap * self._example_weight[examples] * 0.9
                    scores = np.maximum(nearest, contained)
                    slots = self._example_template[examples] + j * n_templates
                    np.maximum.at(best_flat, slots, scores)
                    winners = np.flatnonzero(scores >= best_flat[slots])
                    # Among equal scores the last example wins, as it always has.
                    np.maximum.at(doc_flat, slots[winners], examples[winners])
        best_text = best_flat.reshape(nq, n_templates)
        best_doc = doc_flat.reshape(nq, n_templates)
        keyword_score = np.zeros((nq, n_templates))
        all_hits = [self._keyword_hits(queries[i].match_text) for i in live]
        for j, hits in enumerate(all_hits):
            for template, found in hits.items():
                keyword_score[j, template] = min(2.0, sum(found.values()))
        rough = (
            W_TEXT * best_text
            + W_CENTROID * centroid
            + W_KEYWORDS * keyword_score
            + W_CATEGORY * probability
            + 10.0 * (best_text >= 0.999)
        )
        count = min(n_templates, max(RESCORE, limit))
        # Sorted once for every query (numpy sorts each row as it would sort it alone).
        leaders = np.argpartition(-rough, count - 1, axis=1)[:, :count].tolist()
        orders = np.argsort(-rough, axis=1).tolist()
        rough_rows = rough.tolist()
        for j, i in enumerate(live):
            results[i] = self._rank(
                queries[i].match_text,
                rough_rows[j],
                leaders[j],
                orders[j],
                limit,
                best_text[j].tolist(),
                best_doc[j].tolist(),
                centroid[j].tolist(),
                probability[j].tolist(),
                keyword_score[j].tolist(),
                all_hits[j],
                float(out_of_scope[j]),
            )
        return results

    def _rank(
        self,
        text: str,
        rough: list[float],
        leaders: list[int],
        order: list[int],
        limit: int,
        best_text: list[float],
        best_doc: list[int],
        centroid: list[float],
        probability: list[float],
        keyword_score: list[float],
        hits: dict[int, dict[str, float]],
        out_of_scope: float,
    ) -> list[Match]:
        # And the best of every other category with evidence: an alternative of another
        # kind is worth more to an agent than a third variant of the same one.
        category = self._category_list
        covered = {category[t] for t in leaders}
        extra = 0
        for t in order:
            if rough[t] <= 0 or extra >= OTHER_CATEGORIES:
                break
            if category[t] not in covered:
                leaders.append(t)
                covered.add(category[t])
                extra += 1
        matches = []
        for t in leaders:
            if rough[t] <= 0:
                continue
            similarity = ratio = 0.0
            source = None
            doc = best_doc[t]
            if doc >= 0:
                example = self._folded[doc]
                # Edit similarity can only reach 0.8 between strings of similar length.
                if 0.6 * len(example) <= len(text) <= 1.7 * len(example):
                    ratio = fuzz.ratio(text, example) / 100.0
                similarity = max(best_text[t], ratio if ratio >= 0.8 else 0.0)
                source = self._examples[doc]
            matches.append(
                Match(
                    self.template_ids[t],
                    confidence(
                        similarity, centroid[t], keyword_score[t], probability[t], out_of_scope
                    ),
                    similarity,
                    ratio,
                    centroid[t],
                    probability[t],
                    out_of_scope,
                    keyword_score[t],
                    source.text if source else None,
                    source.language if source else None,
                    tuple(hits.get(t, {})),
                    self._languages_of[self._folded[doc]] if source else (),
                )
            )
        matches.sort(key=lambda m: (-m.confidence, m.template_id))
        top = matches[:limit]
        shown = {self._categories[self._template_pos[m.template_id]] for m in top}
        for match in matches[limit:]:
            kind = self._categories[self._template_pos[match.template_id]]
            if kind not in shown:
                top.append(match)
                shown.add(kind)
        return top

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
INDEX_FORMAT = "kefu-index-7"


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
    provisional: bool = False,
) -> MatchIndex:
    """Build the index, or load the one built earlier for exactly these triggers.

    The cache lives in the service's own data folder and is written atomically; a file
    that cannot be read is rebuilt, never trusted half-way. With `provisional`, a miss
    builds an untrained index (`MatchIndex(train=False)`, never cached) instead of
    waiting for the trained one: the caller builds that afterwards.
    """
    key = index_key(sources, negatives)
    if current is not None and getattr(current, "key", None) == key and current.trained:
        return current  # only reply texts changed: the index in memory is still right
    if cache_dir is None:
        index = MatchIndex(sources, negatives, train=not provisional)
        index.key = key
        return index
    path = cache_dir / f"index-{key}.pickle"
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)  # our own file, written below
        if isinstance(index, MatchIndex) and index.trained:
            index.key = key
            return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    index = MatchIndex(sources, negatives, train=not provisional)
    index.key = key
    if not provisional:
        save_index(index, cache_dir)
    return index


def save_index(index: MatchIndex, cache_dir: Path) -> None:
    """Write a trained index to the cache under its key (atomically), dropping older ones."""
    if not index.trained or not index.key:
        return
    path = cache_dir / f"index-{index.key}.pickle"
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

    trained = True  # patches a built index; its own pending state is `Snapshot.pending`

    def search_many(self, queries: Sequence[Normalized], limit: int = 5) -> list[list[Match]]:
        return [self.search(query, limit) for query in queries]

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
