"""Normalisation: what matching and detection see of a message."""

import pytest

from app.text import normalize, to_simplified, to_traditional


@pytest.mark.parametrize(
    ("message", "folded"),
    [
        ("HELLO", "hello"),
        ("ｃａｎ　ｕ ship？", "can u ship?"),  # full width → half width
        ("pleeeease", "please"),  # repeated letters squeezed
        ("这个有貨嗎", "这个有货吗"),  # Traditional → Simplified for matching
        ("order 1000", "order 1000"),  # digits are never squeezed
        ("Straße", "strasse"),  # case folding, not just lower()
    ],
)
def test_normalize_folds_for_matching(message: str, folded: str) -> None:
    assert normalize(message).folded == folded


def test_normalize_keeps_signals_out_of_the_match_text() -> None:
    norm = normalize("WHERE IS MY PARCEL??? 😡!!")
    assert norm.match_text == "where is my parcel"
    assert norm.emoji == ("😡",)
    assert norm.question_runs == 1 and norm.exclaim_runs == 1
    assert norm.caps_ratio == 1.0


@pytest.mark.parametrize(
    ("message", "script", "unspaced"),
    [
        ("在吗", "Han", True),
        ("こんにちは", "Hiragana", True),
        ("안녕하세요", "Hangul", False),
        ("привет", "Cyrillic", False),
        ("مرحبا", "Arabic", False),
        ("สวัสดีครับ", "Thai", True),
        ("hello", "Latin", False),
    ],
)
def test_normalize_reads_the_script(message: str, script: str, unspaced: bool) -> None:
    norm = normalize(message)
    assert norm.main_script == script
    assert norm.unspaced is unspaced


def test_chinese_conversion_round_trip_uses_regional_vocabulary() -> None:
    assert to_simplified("發貨") == "发货"
    assert to_traditional("发货") == "發貨"
    assert to_traditional("软件") == "軟體"  # Taiwan vocabulary, not only characters
