"""In-process time per stage and per suggestion, and memory, as the library grows.

    .venv/bin/python bench/pipeline.py [--sizes 1,10,100] [--repeat 3] [--count 300]

For each size, a separate process builds the library and its snapshot, then times each
stage on a mix of distinct buyer messages (`bench/messages.py`): normalise, language,
tone, match (the batched index search of the message and its asks, as `suggest` runs
it), render (one reply per message, uncached Jinja2 + Babel; the service also remembers
rendered replies), and the whole `suggest`. It reports medians and p99 in µs, each size's
ratio to the shipped library measured in the same run, and the process's memory (RSS
after building, and its peak).

Size 1 is the shipped library with its trained index. Size N copies every template N
times: each copy has its triggers' words shuffled and words of its own, so vocabulary
and postings grow as with new templates, not as duplicates (deterministic: fixed seed).
The synthetic indexes use the provisional (untrained, nearest-centroid) category model:
its shape, and so the cost of a query, is the trained one's; training 100× the triggers
would only make the benchmark slow.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, where bench/http.py would shadow
# the standard library's `http`: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

from app.config import SHIPPED_REPLIES  # noqa: E402
from app.language import detect_language, warm_up  # noqa: E402
from app.library import Library, Triggers, load_library  # noqa: E402
from app.matching import _token_features  # noqa: E402
from app.rendering import RenderContext, render  # noqa: E402
from app.suggest import (  # noqa: E402
    Options,
    SuggestContext,
    SuggestRequest,
    build_snapshot,
    split_asks,
    suggest,
)
from app.text import normalize  # noqa: E402
from app.tone import detect_tone  # noqa: E402
from bench.messages import mix  # noqa: E402

OPEN_NOW = "2026-11-18T12:00:00+08:00"
STAGES = ("normalise", "language", "tone", "match", "render", "suggest")


def synthetic(library: Library, size: int, seed: int = 7) -> Library:
    """The library with every template copied `size` times (see the module docstring)."""
    if size <= 1:
        return library
    rng = random.Random(seed)
    categories = {}
    for cid, category in library.categories.items():
        templates = list(category.templates)
        for copy in range(1, size):
            own = [f"zq{copy}{letter}{rng.randrange(1000)}" for letter in "abc"]
            for template in category.templates:
                triggers = {}
                for language, found in template.triggers.items():
                    examples = []
                    for text in found.examples:
                        words = text.split()
                        rng.shuffle(words)
                        words.append(rng.choice(own))
                        examples.append(" ".join(words))
                    triggers[language] = Triggers(examples=examples, keywords=found.keywords)
                templates.append(
                    template.model_copy(
                        update={"id": f"{template.id}_{copy}", "triggers": triggers}
                    )
                )
        categories[cid] = category.model_copy(update={"templates": templates})
    return library.model_copy(update={"categories": categories})


def token_cache_info():  # type: ignore[no-untyped-def]
    return _token_features.cache_info()


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MiB (Linux)."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            out["rss_mib" if name == "VmRSS" else "peak_mib"] = round(int(value.split()[0]) / 1024)
    return out


def per_message(fn: Callable[[str], object], messages: list[str], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        for message in messages:
            start = time.perf_counter_ns()
            fn(message)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "median_us": round(statistics.median(ordered), 1),
        "mean_us": round(statistics.mean(ordered), 1),
        "p99_us": round(p99, 1),
    }


def one_size(size: int, repeat: int, count: int) -> dict[str, object]:
    """Build one library size in this process and time every stage."""
    library = synthetic(load_library(SHIPPED_REPLIES), size)
    start = time.perf_counter()
    snapshot = build_snapshot(library, provisional=size > 1)
    build_s = time.perf_counter() - start
    snapshot.replies.warm()
    warm_up()
    gc.collect()
    mem = memory()
    from datetime import datetime

    context = SuggestContext(now=datetime.fromisoformat(OPEN_NOW))
    options = Options()
    messages = mix(count)
    answers = {
        m: suggest(snapshot, SuggestRequest(message=m, context=context), options)
        for m in messages
    }  # also warms every lazy cache before timing

    def match(message: str) -> object:
        asks = split_asks(message)
        pieces = [message] if len(asks) <= 1 else [message, *asks]
        return snapshot.index.search_many([normalize(p) for p in pieces], 6)

    def render_one(message: str) -> object:
        shown = answers[message].suggestions or (
            answers[message].no_match.guesses if answers[message].no_match else []
        )
        if not shown:
            return None
        first = shown[0]
        template = snapshot.templates[first.template_id]
        ctx = RenderContext(
            locale=first.locale if first.locale in template.replies else "zh-Hans",
            currency=library.shop.currency,
            shop=snapshot.shop_views.get(first.locale) or next(iter(snapshot.shop_views.values())),
        )
        locale = ctx.locale
        declared = {name: library.variables.get(name) for name in template.variables}
        return render(snapshot.replies.get((template.id, locale, first.tone)), ctx, declared)

    replies = snapshot.replies
    calls, misses = replies.render_calls[0], replies.render_misses[0]
    tokens_before = token_cache_info()
    timings = {
        "normalise": per_message(normalize, messages, repeat),
        "language": per_message(lambda m: detect_language(normalize(m)), messages, repeat),
        "tone": per_message(lambda m: detect_tone(normalize(m)), messages, repeat),
        "match": per_message(match, messages, repeat),
        "render": per_message(render_one, messages, repeat),
        "suggest": per_message(
            lambda m: suggest(snapshot, SuggestRequest(message=m, context=context), options),
            messages,
            repeat,
        ),
    }
    calls, misses = replies.render_calls[0] - calls, replies.render_misses[0] - misses
    tokens = token_cache_info()
    token_lookups = (tokens.hits + tokens.misses) - (tokens_before.hits + tokens_before.misses)
    return {
        "render_cache_hit_rate": round(1 - misses / calls, 3) if calls else None,
        "token_cache_hit_rate": round((tokens.hits - tokens_before.hits) / token_lookups, 3)
        if token_lookups
        else None,
        "size": size,
        "templates": len(library.templates()),
        "examples": snapshot.index.size,
        "build_s": round(build_s, 1),
        "trained": snapshot.complete,
        **mem,
        "stages": {name: summary(samples) for name, samples in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the messages")
    parser.add_argument("--count", type=int, default=300, help="distinct messages")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.repeat, args.count)))
        return

    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat),
             "--count", str(args.count)],
            capture_output=True, text=True, check=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{size}×: {result['templates']} templates, {result['examples']} examples,"
            f" built in {result['build_s']} s, RSS {result['rss_mib']} MiB"
            f" (peak {result['peak_mib']} MiB)",
            flush=True,
        )
    base = results[0]["stages"]
    print(f"\n{'stage':10}" + "".join(f"{str(r['size']) + '× median/p99 µs':>26}" for r in results))
    for stage in STAGES:
        cells = []
        for r in results:
            s = r["stages"][stage]
            ratio = s["median_us"] / base[stage]["median_us"] if base[stage]["median_us"] else 0
            cells.append(f"{s['median_us']:>9.1f} /{s['p99_us']:>8.1f} ({ratio:.2f}×)")
        print(f"{stage:10}" + "".join(f"{c:>26}" for c in cells))
    largest = results[-1]
    ratio = largest["stages"]["suggest"]["median_us"] / base["suggest"]["median_us"]
    print(
        f"\nsuggest median, {largest['size']}× ÷ shipped: {ratio:.2f}× (target ≤ 3×);"
        f" memory at {largest['size']}×: {largest['rss_mib']} MiB (target < 1024)"
    )
    print(
        "caches (timed passes): rendered replies hit "
        + ", ".join(f"{r['render_cache_hit_rate']}" for r in results)
        + "; token features hit "
        + ", ".join(f"{r['token_cache_hit_rate']}" for r in results)
        + " (no cache of whole messages exists)"
    )
    print(json.dumps({
        "sizes": [r["size"] for r in results],
        "suggest_median_us": [r["stages"]["suggest"]["median_us"] for r in results],
        "suggest_p99_us": [r["stages"]["suggest"]["p99_us"] for r in results],
        "match_median_us": [r["stages"]["match"]["median_us"] for r in results],
        "rss_mib": [r["rss_mib"] for r in results],
        "peak_mib": [r["peak_mib"] for r in results],
        "ratio_largest": round(ratio, 2),
    }))


if __name__ == "__main__":
    main()
