"""In-process time per suggestion on the shipped library, per stage and whole.

    .venv/bin/python bench/pipeline.py [--repeat 5]

Messages are a mix of languages, lengths, categories and multi-ask messages written for
this benchmark (not the evaluation set). Prints medians and p99 over several rounds, and
the ratio of the whole pipeline to a baseline measured in the same run: parsing the same
JSON body with pydantic, the least any endpoint does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.api.models import SuggestBody  # noqa: E402
from app.config import SHIPPED_REPLIES  # noqa: E402
from app.language import detect_language  # noqa: E402
from app.library import load_library  # noqa: E402
from app.suggest import (  # noqa: E402
    Options,
    SuggestContext,
    SuggestRequest,
    build_snapshot,
    suggest,
)
from app.text import normalize  # noqa: E402
from app.tone import detect_tone  # noqa: E402

MESSAGES = [
    "hi",
    "在吗",
    "hello, anyone there?",
    "亲 在不在",
    "Hallo, ist jemand da?",
    "can you make it a bit cheaper",
    "能不能便宜点啊 老板",
    "free shipping if I buy two?",
    "when are you going to ship my order, it has been 4 days",
    "我的快递怎么还没到",
    "¿cuándo envían mi pedido?",
    "Wann wird meine Bestellung verschickt?",
    "the tracking number hasn't updated since Monday",
    "物流三天没动了",
    "the mug arrived cracked, I want my money back or I will leave 1 star",
    "收到的杯子是碎的 给我退款 不然差评",
    "Le colis est arrivé abîmé",
    "I want to return the shoes, they are too small",
    "我想退货 怎么操作",
    "does this come in size XL?",
    "这个是纯棉的吗",
    "is it suitable for a 3 year old?",
    "I paid already, please ship",
    "付款失败了怎么办",
    "can I pay cash on delivery",
    "thanks a lot!",
    "谢谢亲 收到了很喜欢",
    "merci beaucoup, bonne journée",
    "hi! can you do a discount and when do you ship?",
    "在吗？能便宜点吗 还有什么时候发货",
    "ありがとうございます",
    "배송 언제 되나요?",
    "когда отправите?",
    "متى سيصل طلبي؟",
    "ส่งของวันไหนคะ",
    "Quando chega meu pedido?",
    "Sipariş ne zaman gelir?",
    "Kapan barang dikirim kak?",
    "Khi nào giao hàng vậy shop?",
    "what is the meaning of life",
    "asdfgh",
    "{{7*7}}",
]


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    """Per-message microseconds over `rounds` passes of every message."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000 / len(MESSAGES))
    return samples


def per_call(fn: Callable[[str], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for message in MESSAGES:
            start = time.perf_counter_ns()
            fn(message)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_us": round(statistics.median(ordered), 1), "p99_us": round(p99, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="passes over the messages")
    parser.add_argument("--replies", type=Path, default=SHIPPED_REPLIES)
    args = parser.parse_args()

    library = load_library(args.replies)
    snapshot = build_snapshot(library)
    snapshot.replies.warm()
    context = SuggestContext(now=None)
    bodies = [json.dumps({"message": m}) for m in MESSAGES]

    def whole(message: str) -> object:
        return suggest(snapshot, SuggestRequest(message=message, context=context), Options())

    for message in MESSAGES:  # warm caches (Babel locales, OpenCC) before timing
        whole(message)

    stages = {
        "normalise": per_call(normalize, args.repeat),
        "language": per_call(lambda m: detect_language(normalize(m)), args.repeat),
        "tone": per_call(lambda m: detect_tone(normalize(m)), args.repeat),
        "language + tone": per_call(
            lambda m: (lambda n: (detect_language(n), detect_tone(n)))(normalize(m)), args.repeat
        ),
        "match": per_call(lambda m: snapshot.index.search(normalize(m)), args.repeat),
        "suggest (whole pipeline)": per_call(whole, args.repeat),
    }
    body_iter = iter(bodies * args.repeat)
    baseline = per_call(lambda _: SuggestBody.model_validate_json(next(body_iter)), args.repeat)

    print(
        f"library: {len(library.templates())} templates, {snapshot.index.size} trigger"
        f" examples, {len(MESSAGES)} messages × {args.repeat} rounds"
    )
    print(f"{'stage':28} {'median µs':>10} {'p99 µs':>10}")
    for name, samples in stages.items():
        s = summary(samples)
        print(f"{name:28} {s['median_us']:>10} {s['p99_us']:>10}")
    base = summary(baseline)
    print(f"{'baseline: parse JSON body':28} {base['median_us']:>10} {base['p99_us']:>10}")
    whole_s = summary(stages["suggest (whole pipeline)"])
    ratio = whole_s["median_us"] / base["median_us"] if base["median_us"] else float("inf")
    print(f"ratio suggest ÷ baseline (median): {ratio:.1f}×")
    print(
        json.dumps(
            {
                "suggest_median_us": whole_s["median_us"],
                "suggest_p99_us": whole_s["p99_us"],
                "baseline_median_us": base["median_us"],
                "ratio": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
