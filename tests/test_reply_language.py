"""Reply in the buyer's language and tone: a table per supported language (shipped library)."""

from __future__ import annotations

import re

import pytest

from app.text import to_simplified
from tests.conftest import Client

# (message, reply locale): a short and a long message per language. Written for this
# test; none comes from the evaluation set.
CASES = [
    ("thanks!", "en"),
    ("hi, my parcel still hasn't arrived and it has been two weeks", "en"),
    ("谢谢亲", "zh-Hans"),
    ("亲，我的快递怎么还没到啊，都一个星期了", "zh-Hans"),
    ("謝謝", "zh-Hant"),
    ("請問這件衣服有M號嗎？我平常穿M", "zh-Hant"),
    ("hola", "es"),
    ("hola, quisiera saber cuándo envían mi pedido, lo pagué ayer", "es"),
    ("merci", "fr"),
    ("bonjour, je voudrais savoir quand ma commande sera expédiée", "fr"),
    ("danke", "de"),
    ("Hallo, wann wird meine Bestellung verschickt? Ich warte schon eine Woche", "de"),
    ("obrigado", "pt-BR"),
    ("oi, quando meu pedido vai chegar? já faz dez dias que paguei", "pt-BR"),
    ("спасибо", "ru"),
    ("здравствуйте, когда отправите мой заказ? жду уже неделю", "ru"),
    ("ありがとう", "ja"),
    ("注文した商品はいつ発送されますか？もう一週間待っています", "ja"),
    ("감사합니다", "ko"),
    ("주문한 상품이 아직 안 왔어요. 언제 배송되나요?", "ko"),
    ("شكرا", "ar"),
    ("مرحبا، متى سيتم شحن طلبي؟ أنتظر منذ أسبوع", "ar"),
    ("grazie", "it"),
    ("ciao, quando spedite il mio ordine? aspetto da una settimana", "it"),
    ("teşekkürler", "tr"),
    ("merhaba, siparişim ne zaman kargoya verilecek? bir haftadır bekliyorum", "tr"),
    ("cảm ơn shop", "vi"),
    ("chào shop, khi nào đơn hàng của mình được gửi đi vậy?", "vi"),
    ("terima kasih kak", "id"),
    ("halo kak, kapan pesanan saya dikirim? sudah seminggu menunggu", "id"),
    ("ขอบคุณค่ะ", "th"),
    ("สวัสดีค่ะ สินค้าที่สั่งไปจะส่งเมื่อไหร่คะ", "th"),
    ("dziękuję", "pl"),
    ("dzień dobry, kiedy wyślecie moje zamówienie? czekam już tydzień", "pl"),
    ("bedankt", "nl"),
    ("hallo, wanneer wordt mijn bestelling verzonden? ik wacht al een week", "nl"),
]


@pytest.mark.parametrize(("message", "locale"), CASES)
def test_reply_is_in_the_buyers_language(client: Client, message: str, locale: str) -> None:
    body = client.suggest(message)
    assert body["suggestions"], body["no_match"]
    top = body["suggestions"][0]
    assert top["locale"] == locale, (body["language"], top["template_id"])


def test_traditional_buyer_reads_traditional_characters(client: Client) -> None:
    text = client.suggest("請問這件衣服有M號嗎？")["suggestions"][0]["text"]
    han = "".join(re.findall(r"[\u4e00-\u9fff]", text))
    assert to_simplified(han) != han, "the reply should be written in Traditional characters"


def test_portuguese_from_portugal_gets_the_brazilian_reply_marked_related(client: Client) -> None:
    body = client.suggest("olá, quando é que a minha encomenda chega?", locale="pt-PT")
    top = body["suggestions"][0]
    assert (top["locale"], top["locale_match"]) == ("pt-BR", "related")


def test_code_mixed_message_is_answered_in_the_main_language(client: Client) -> None:
    body = client.suggest("hi 这个有货吗 还有没有黑色的")
    assert body["language"]["code"] == "zh-Hans"
    assert body["suggestions"][0]["locale"] == "zh-Hans"


def test_angry_buyer_gets_the_empathetic_reply(client: Client) -> None:
    body = client.suggest("THIS IS A SCAM!!! the blender arrived broken and nobody answers 😡")
    assert body["tone"]["buyer"] == "angry"
    assert body["suggestions"][0]["tone"] == "empathetic"


def test_formal_buyer_gets_the_formal_reply(client: Client) -> None:
    body = client.suggest("Sehr geehrte Damen und Herren, könnten Sie mir bitte mitteilen, "
                          "wann meine Bestellung versandt wird?")
    assert body["tone"]["buyer"] == "formal"
    top = body["suggestions"][0]
    assert (top["locale"], top["tone"]) == ("de", "formal")


def test_explicit_tone_wins(client: Client) -> None:
    body = client.suggest("THIS IS A SCAM!!!", tone="friendly")
    assert body["tone"]["decided_by"] == "request"
    assert all(s["tone"] == "friendly" for s in body["suggestions"])


def test_language_nobody_supports_is_answered_in_the_default_and_flagged(client: Client) -> None:
    body = client.suggest("habari, mzigo wangu utafika lini?")  # Swahili
    offered = body["suggestions"] + (body["no_match"] or {}).get("guesses", [])
    assert offered, "never refused: at least a guess comes back"
    for suggestion in offered:
        assert suggestion["locale_match"] == "fallback" and suggestion["locale"] == "en"
