"""The trigger index and its scoring."""

import pytest

from app.matching import MatchIndex, TriggerSource, features
from app.text import normalize

SOURCES = [
    TriggerSource("shipping_delay.not_shipped", "en", "when will you ship my order"),
    TriggerSource("shipping_delay.not_shipped", "en", "still not shipped"),
    TriggerSource("shipping_delay.not_shipped", "en", "ship", keyword=True),
    TriggerSource("shipping_delay.not_shipped", "zh-Hans", "什么时候发货"),
    TriggerSource("shipping_delay.not_shipped", "zh-Hans", "发货", keyword=True),
    TriggerSource("bargaining.hold_price", "en", "can you do it cheaper"),
    TriggerSource("bargaining.hold_price", "en", "any discount"),
    TriggerSource("bargaining.hold_price", "zh-Hant", "能便宜一點嗎"),
    TriggerSource("greeting.hello", "en", "hi"),
    TriggerSource("greeting.hello", "en", "hello are you there"),
    TriggerSource("greeting.hello", "zh-Hans", "在吗"),
]


NEGATIVES = ["what is the weather today", "tell me a joke", "who won the football game",
             "what is the capital of france", "how tall is mount everest", "play some music"]


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex(SOURCES, negatives=NEGATIVES)


@pytest.mark.parametrize(
    ("message", "template_id"),
    [
        ("when will you ship my order", "shipping_delay.not_shipped"),  # exact
        ("wen will u ship my ordr??", "shipping_delay.not_shipped"),  # typos
        ("CAN YOU DO IT CHEAPER", "bargaining.hold_price"),  # case
        ("能便宜点吗", "bargaining.hold_price"),  # Simplified finds a Traditional trigger
        ("亲在吗", "greeting.hello"),  # unspaced script: character n-grams
        ("hiii", "greeting.hello"),  # squeezed repeats
        ("has the shipping started", "shipping_delay.not_shipped"),  # keyword stem
    ],
)
def test_best_template(index: MatchIndex, message: str, template_id: str) -> None:
    matches = index.search(normalize(message))
    assert matches and matches[0].template_id == template_id


def test_exact_trigger_is_certain_and_explained(index: MatchIndex) -> None:
    best = index.search(normalize("什么时候发货"))[0]
    assert best.confidence == 1.0
    assert best.trigger == "什么时候发货" and best.trigger_language == "zh-Hans"
    assert best.keywords == ("发货",)


def test_unrelated_message_has_low_confidence(index: MatchIndex) -> None:
    # The out-of-scope examples teach the model what "none of the above" looks like.
    matches = index.search(normalize("what is the capital of peru"))
    assert not matches or matches[0].confidence < 0.45


def test_subset_of_words_is_not_a_perfect_match(index: MatchIndex) -> None:
    # token_set_ratio would score 100 here; the index must not.
    best = index.search(normalize("order"))
    assert not best or (best[0].similarity < 0.9 and best[0].confidence < 1.0)


def test_empty_query_matches_nothing(index: MatchIndex) -> None:
    assert index.search(normalize("!!! ???")) == []


def test_features_use_character_ngrams_for_unspaced_scripts() -> None:
    assert {"c:发", "b:发货"} <= set(features(normalize("发货")))
    assert {"w:ship", "g:<sh", "g:ip>"} <= set(features(normalize("ship")))


def test_question_marks_and_emoji_are_features() -> None:
    assert {"s:?", "e:😡"} <= set(features(normalize("where is it?? 😡")))


def test_index_cache_round_trips_and_survives_a_corrupt_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.matching import load_or_build_index

    built = load_or_build_index(SOURCES, NEGATIVES, tmp_path)
    files = list(tmp_path.glob("index-*.pickle"))
    assert len(files) == 1
    loaded = load_or_build_index(SOURCES, NEGATIVES, tmp_path)
    query = normalize("wen will u ship my ordr")
    assert loaded.search(query) == built.search(query)
    files[0].write_bytes(b"not a pickle")
    rebuilt = load_or_build_index(SOURCES, NEGATIVES, tmp_path)
    assert rebuilt.search(query) == built.search(query)


def test_a_changed_library_does_not_reuse_the_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.matching import load_or_build_index

    load_or_build_index(SOURCES, NEGATIVES, tmp_path)
    more = [*SOURCES, TriggerSource("greeting.hello", "en", "good morning")]
    index = load_or_build_index(more, NEGATIVES, tmp_path)
    assert index.search(normalize("good morning"))[0].confidence == 1.0
    assert len(list(tmp_path.glob("index-*.pickle"))) == 1  # the stale one is gone
