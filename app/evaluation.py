"""`kefu eval FILE.jsonl`: how often the first suggestion is the right category.

Each line is `{"text", "lang", "category", "source"?, "second_category"?}`; the label
`other` means no suggestion (or only low-confidence ones) is the right answer. Every
message runs through the same pipeline the API uses, and the same figures are computed in
the same run for a plain baseline (rapidfuzz `WRatio` over the raw trigger examples, no
normalisation, no keywords) so every improvement reads as a ratio.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from rapidfuzz import fuzz, process

from app.language import base_language
from app.suggest import Options, Snapshot, SuggestContext, SuggestRequest, suggest
from app.text import normalize

OTHER = "other"
BUSY = "busy_hour"
# Judged at an hour the shipped shop is open, so no busy-hour reply takes the first place.
EVAL_NOW = datetime.fromisoformat("2026-11-18T12:00:00+08:00")


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    category: str
    source: str
    second_category: str | None = None

    @property
    def gold(self) -> set[str]:
        return {c for c in (self.category, self.second_category) if c}


@dataclass(frozen=True)
class Prediction:
    categories: tuple[str, ...]  # confident suggestions' categories, best first, distinct
    language: str | None
    seconds: float
    guesses: tuple[str, ...] = ()  # low-confidence guesses' categories when it abstained

    @property
    def abstained(self) -> bool:
        return not self.categories


def read_examples(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                examples.append(
                    Example(
                        text=str(row["text"]),
                        lang=str(row.get("lang") or ""),
                        category=str(row["category"]),
                        source=str(row.get("source") or "unknown"),
                        second_category=row.get("second_category"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an evaluation line ({exc})") from exc
    return examples


def same_language(label: str, detected: str | None) -> bool:
    """Labels name Chinese by region (zh-CN, zh-TW); detection names it by script."""
    if detected is None or not label:
        return False
    label_l, detected_l = label.lower(), detected.lower()
    if base_language(label_l) == "zh" and base_language(detected_l) == "zh":
        traditional = label_l in ("zh-tw", "zh-hk", "zh-hant")
        return traditional == (detected_l in ("zh-hant", "zh-tw", "zh-hk"))
    return base_language(label_l) == base_language(detected_l)


def _distinct(categories: Iterable[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for category in categories:
        if category != BUSY and category not in seen:
            seen.append(category)
    return tuple(seen)


def kefu_predictor(snapshot: Snapshot, min_confidence: float) -> Callable[[str], Prediction]:
    context = SuggestContext(now=EVAL_NOW)

    def predict(text: str) -> Prediction:
        start = time.perf_counter()
        result = suggest(
            snapshot,
            SuggestRequest(message=text, limit=3, context=context),
            Options(min_confidence=min_confidence),
        )
        seconds = time.perf_counter() - start
        guesses = result.no_match.guesses if result.no_match else []
        return Prediction(
            categories=_distinct(s.category for s in result.suggestions),
            language=result.language.code,
            seconds=seconds,
            guesses=_distinct(s.category for s in guesses),
        )

    return predict


def baseline_predictor(snapshot: Snapshot, cutoff: float) -> Callable[[str], Prediction]:
    """rapidfuzz WRatio over the raw trigger examples: no normalisation, no keywords."""
    texts: list[str] = []
    categories: list[str] = []
    for template in snapshot.library.templates():
        for triggers in template.triggers.values():
            for example in triggers.examples:
                texts.append(example)
                categories.append(template.category)
    order = np.array(categories)

    def predict(text: str) -> Prediction:
        start = time.perf_counter()
        scores = process.cdist([text], texts, scorer=fuzz.WRatio, workers=1)[0]
        ranked = np.argsort(-scores, kind="stable")
        picked: list[str] = []
        guesses: list[str] = []
        for index in ranked[:200]:
            (picked if scores[index] >= cutoff * 100 else guesses).append(str(order[index]))
        return Prediction(
            _distinct(picked)[:3], None, time.perf_counter() - start, _distinct(guesses)[:3]
        )

    return predict


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, top1: bool, top3: bool) -> None:
        self.n += 1
        self.top1 += top1
        self.top3 += top3

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "top1": round(self.top1 / self.n, 4) if self.n else 0.0,
            "top3": round(self.top3 / self.n, 4) if self.n else 0.0,
        }


@dataclass
class Report:
    """Every figure of one predictor over one file."""

    pooled: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_source: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_language_source: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    other_n: int = 0
    other_abstained: int = 0
    asks_n: int = 0
    asks_abstained: int = 0
    language_n: int = 0
    language_undecidable: int = 0
    language_ok: int = 0
    long_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    seconds: list[float] = field(default_factory=list)

    def add(self, example: Example, prediction: Prediction) -> None:
        predicted = prediction.categories
        if example.category == OTHER:
            top1 = top3 = prediction.abstained
            self.other_n += 1
            self.other_abstained += prediction.abstained
        else:
            top1 = bool(predicted) and predicted[0] in example.gold
            # Top-3 reads what the agent sees: suggestions, or the guesses of "no good match".
            shown = predicted or prediction.guesses
            top3 = bool(example.gold & set(shown[:3]))
            self.asks_n += 1
            self.asks_abstained += prediction.abstained
        if not top1:
            self.confusion[(example.category, predicted[0] if predicted else OTHER)] += 1
        self.pooled.add(top1, top3)
        self.by_language[example.lang].add(top1, top3)
        self.by_source[example.source].add(top1, top3)
        self.by_category[example.category].add(top1, top3)
        self.by_language_source[f"{example.lang} · {short_source(example.source)}"].add(top1, top3)
        if prediction.language is not None and not normalize(example.text).letters:
            self.language_undecidable += 1  # digits only: the text cannot name a language
        elif prediction.language is not None:
            ok = same_language(example.lang, prediction.language)
            self.language_n += 1
            self.language_ok += ok
            if len(example.text) >= 10:
                self.long_language[example.lang].add(ok, ok)
        self.seconds.append(prediction.seconds)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0

        def groups(tallies: dict[str, Tally]) -> dict[str, dict[str, float | int]]:
            return {k: v.as_dict() for k, v in sorted(tallies.items())}

        return {
            **self.pooled.as_dict(),
            "abstain_other": round(self.other_abstained / self.other_n, 4)
            if self.other_n
            else None,
            "abstain_wrong": round(self.asks_abstained / self.asks_n, 4) if self.asks_n else None,
            "language_accuracy": (
                round(self.language_ok / self.language_n, 4) if self.language_n else None
            ),
            "language_undecidable": self.language_undecidable,
            "language_accuracy_10_chars": {
                k: {"n": v.n, "accuracy": v.as_dict()["top1"]}
                for k, v in sorted(self.long_language.items())
            },
            "by_language": groups(self.by_language),
            "by_source": groups(self.by_source),
            "by_category": groups(self.by_category),
            "by_language_source": groups(self.by_language_source),
            "confusion": [
                {"gold": g, "predicted": p, "count": c}
                for (g, p), c in self.confusion.most_common(10)
            ],
            "ms_per_message": {
                "median": round(statistics.median(ordered) * 1000, 3) if ordered else 0.0,
                "p99": round(p99 * 1000, 3),
            },
        }


def short_source(source: str) -> str:
    """`github:cooelf/DeepUtteranceAggregation:ECD_sample/test` → `DeepUtteranceAggregation`."""
    parts = source.split(":")
    name = parts[1] if len(parts) > 1 else source
    name = name.split("/")[-1].split("@")[0].split("==")[0]
    return name


def run(
    examples: Sequence[Example],
    predict: Callable[[str], Prediction],
    progress: TextIO | None = None,
    label: str = "",
) -> Report:
    report = Report()
    for i, example in enumerate(examples, 1):
        report.add(example, predict(example.text))
        if progress is not None and (i % 10 == 0 or i == len(examples)):
            width = 30
            done = int(width * i / len(examples))
            progress.write(f"\r{label:9} [{'#' * done}{'.' * (width - done)}] {i}/{len(examples)}")
            progress.flush()
    if progress is not None:
        progress.write("\n")
    return report


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def _ratio(new: float | None, old: float | None) -> str:
    if not new or not old:
        return ""
    return f"{new / old:5.2f}×"


def format_text(kefu: dict[str, Any], baseline: dict[str, Any]) -> str:
    lines = [
        f"{'':28} {'kefu':>8} {'baseline':>9} {'ratio':>7}",
    ]
    for key, name in (
        ("top1", "top-1 accuracy"),
        ("top3", "top-3 accuracy"),
        ("abstain_other", "abstain on `other`"),
        ("abstain_wrong", "abstain on real asks"),
    ):
        lines.append(
            f"{name:28} {_pct(kefu[key]):>8} {_pct(baseline[key]):>9} "
            f"{_ratio(kefu[key], baseline[key]):>7}"
        )
    lines.append(
        f"{'language detection':28} {_pct(kefu['language_accuracy']):>8}"
        f"   ({kefu['language_undecidable']} messages without letters not counted)"
    )
    lines.append(
        f"{'ms per message (median/p99)':28} "
        f"{kefu['ms_per_message']['median']:>4.2f}/{kefu['ms_per_message']['p99']:.2f}"
        f"   baseline {baseline['ms_per_message']['median']:.2f}/"
        f"{baseline['ms_per_message']['p99']:.2f}"
    )
    for group, title in (
        ("by_language", "per language"),
        ("by_source", "per source"),
        ("by_category", "per category"),
        ("by_language_source", "per language × source"),
    ):
        lines += ["", f"{title:40} {'n':>4} {'top1':>7} {'top3':>7} {'base1':>7} {'base3':>7}"]
        for key, row in kefu[group].items():
            base = baseline[group].get(key, {"top1": 0.0, "top3": 0.0})
            name = short_source(key) if group == "by_source" else key
            lines.append(
                f"{name[:40]:40} {row['n']:>4} {_pct(row['top1']):>7} {_pct(row['top3']):>7}"
                f" {_pct(base['top1']):>7} {_pct(base['top3']):>7}"
            )
    lines += ["", "language detection, messages of 10+ characters:"]
    for lang, row in kefu["language_accuracy_10_chars"].items():
        lines.append(f"  {lang:10} n={row['n']:<4} {_pct(row['accuracy'])}")
    lines += ["", "costliest confusions (gold → first suggestion):"]
    for row in kefu["confusion"]:
        lines.append(f"  {row['count']:>3}  {row['gold']} → {row['predicted']}")
    return "\n".join(lines)


def evaluate(
    snapshot: Snapshot, path: Path, min_confidence: float, as_json: bool, out: TextIO
) -> dict[str, Any]:
    examples = read_examples(path)
    progress = sys.stderr if sys.stderr.isatty() and not as_json else None
    kefu = run(examples, kefu_predictor(snapshot, min_confidence), progress, "kefu").as_dict()
    baseline = run(
        examples, baseline_predictor(snapshot, min_confidence), progress, "baseline"
    ).as_dict()
    result = {**kefu, "baseline": baseline}
    if as_json:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        out.write(format_text(kefu, baseline) + "\n")
    return result
