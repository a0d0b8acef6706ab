"""Match cost against library size: the shipped library, then synthetic 10× and 100×.

    .venv/bin/python bench/matching.py [--sizes 1,10] [--repeat 5]

A synthetic library of N× copies every template N times with its triggers rewritten
(words shuffled and each copy given words of its own), so the vocabulary and the
postings grow as a real library would, not as exact duplicates. Prints the index build
time, the median and p99 in-process time of one `MatchIndex.search`, and each size's
ratio to the shipped library measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import SHIPPED_REPLIES  # noqa: E402
from app.library import load_library  # noqa: E402
from app.matching import MatchIndex, TriggerSource  # noqa: E402
from app.text import normalize  # noqa: E402
from bench.messages import mix  # noqa: E402


def sources_for(size: int, seed: int = 7) -> tuple[list[TriggerSource], list[str]]:
    library = load_library(SHIPPED_REPLIES)
    rng = random.Random(seed)
    sources: list[TriggerSource] = []
    for copy in range(size):
        for template in library.templates():
            template_id = template.id if copy == 0 else f"{template.id}_{copy}"
            for language, triggers in template.triggers.items():
                for text in triggers.examples:
                    if copy:
                        words = text.split()
                        rng.shuffle(words)
                        words.append(f"zq{copy}x{rng.randrange(10_000)}")
                        text = " ".join(words)
                    sources.append(TriggerSource(template_id, language, text))
                for keyword in triggers.keywords:
                    sources.append(TriggerSource(template_id, language, keyword, keyword=True))
    negatives = [m for msgs in library.out_of_scope.values() for m in msgs]
    return sources, negatives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    queries = [normalize(m) for m in mix(300)]
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        sources, negatives = sources_for(size)
        start = time.perf_counter()
        index = MatchIndex(sources, negatives)
        build = time.perf_counter() - start
        for query in queries:  # warm up
            index.search(query, limit=3)
        samples = []
        for _ in range(args.repeat):
            for query in queries:
                t0 = time.perf_counter_ns()
                index.search(query, limit=3)
                samples.append((time.perf_counter_ns() - t0) / 1000)
        samples.sort()
        results.append({
            "size": size,
            "examples": index.size,
            "build_s": round(build, 2),
            "median_us": round(statistics.median(samples), 1),
            "p99_us": round(samples[int(len(samples) * 0.99) - 1], 1),
        })
    base = results[0]["median_us"]
    print(
        f"{'library':>8} {'examples':>9} {'build s':>8} {'median µs':>10} {'p99 µs':>9}"
        f" {'ratio':>6}"
    )
    for r in results:
        r["ratio"] = round(r["median_us"] / base, 2)
        print(f"{str(r['size']) + '×':>8} {r['examples']:>9} {r['build_s']:>8} "
              f"{r['median_us']:>10} {r['p99_us']:>9} {r['ratio']:>5}×")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
