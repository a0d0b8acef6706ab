"""Buyer tone → reply tone."""

import pytest

from app.library import Tone
from app.text import normalize
from app.tone import BuyerTone, detect_tone, reply_tone


@pytest.mark.parametrize(
    ("message", "buyer"),
    [
        ("WHERE IS MY ORDER THIS IS A SCAM", BuyerTone.angry),
        ("this is the worst shop 😡", BuyerTone.angry),
        ("垃圾 我要给差评", BuyerTone.angry),
        ("pls ship asap i need it", BuyerTone.urgent),
        ("发货了吗？？？", BuyerTone.urgent),
        ("Dear sir, could you please confirm the delivery date", BuyerTone.formal),
        ("您好，请问什么时候发货", BuyerTone.formal),
        ("Können Sie mir bitte helfen", BuyerTone.formal),
        ("hey can u do it cheaper lol", BuyerTone.casual),
        ("亲 包邮吗", BuyerTone.casual),
        ("when do you ship", BuyerTone.neutral),
    ],
)
def test_detect_tone(message: str, buyer: BuyerTone) -> None:
    assert detect_tone(normalize(message)).buyer is buyer


def test_anger_wins_over_politeness() -> None:
    guess = detect_tone(normalize("Dear sir, this is a SCAM!!!"))
    assert guess.buyer is BuyerTone.angry
    assert "!!!" in guess.signals


@pytest.mark.parametrize(
    ("buyer", "reply"),
    [
        (BuyerTone.angry, Tone.empathetic),
        (BuyerTone.urgent, Tone.empathetic),
        (BuyerTone.formal, Tone.formal),
        (BuyerTone.casual, Tone.friendly),
        (BuyerTone.neutral, Tone.formal),  # the shop's default, here formal
    ],
)
def test_reply_tone(buyer: BuyerTone, reply: Tone) -> None:
    assert reply_tone(buyer, Tone.formal) is reply
