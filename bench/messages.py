"""A realistic mix of buyer messages for the benchmarks, written for them (not eval data).

Many languages, short and long, every category, several asks in one message, and
messages nothing in the library should answer. `mix(n)` turns the hand-written bases into
`n` distinct texts the way real chats differ (order numbers, products, a greeting or a
"thanks" around the question, emoji, casing), deterministically, so a cache of identical
messages cannot be what a benchmark measures.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

# (language, text); "{order}", "{item}" and "{days}" are filled in by `mix`.
BASES: tuple[tuple[str, str], ...] = (
    # greetings
    ("en", "hi"),
    ("en", "hello, anyone there?"),
    ("en", "good morning! is someone available to help me"),
    ("zh", "在吗"),
    ("zh", "亲 在不在"),
    ("zh", "你好，有人吗"),
    ("zh-Hant", "請問有人在嗎"),
    ("de", "Hallo, ist jemand da?"),
    ("fr", "Bonjour, vous êtes là ?"),
    ("es", "hola buenas"),
    ("pt", "Olá, tudo bem?"),
    ("it", "ciao, c'è qualcuno?"),
    ("ja", "こんにちは、質問があります"),
    ("ko", "안녕하세요 문의드려요"),
    ("ru", "здравствуйте, вы на связи?"),
    ("ar", "مرحبا، هل يوجد أحد؟"),
    ("th", "สวัสดีค่ะ มีใครอยู่ไหม"),
    ("vi", "shop ơi cho em hỏi"),
    ("id", "halo kak, mau tanya"),
    ("tr", "merhaba, bir sorum var"),
    # bargaining
    ("en", "can you make it a bit cheaper"),
    ("en", "any discount if I buy {n} of the {item}?"),
    ("en", "free shipping if I order two?"),
    ("zh", "能不能便宜点啊 老板"),
    ("zh", "买{n}个有优惠吗"),
    ("zh", "包邮吗亲"),
    ("zh-Hant", "可以算便宜一點嗎"),
    ("es", "¿me hace un descuento si compro {n}?"),
    ("de", "Gibt es einen Rabatt bei {n} Stück?"),
    ("fr", "vous pouvez faire un petit prix ?"),
    ("pt", "tem desconto pra pagamento à vista?"),
    ("ru", "можно скидку?"),
    ("id", "bisa kurang gak kak harganya"),
    ("vi", "giảm giá được không shop"),
    # shipping and delays
    ("en", "when will you ship my order {order}?"),
    ("en", "it has been {days} days and my order still hasn't shipped"),
    ("en", "the tracking number hasn't updated since Monday, where is my package"),
    ("en", "where is my order??? I paid a week ago"),
    ("zh", "我的快递怎么还没到"),
    ("zh", "物流{days}天没动了"),
    ("zh", "什么时候发货啊 订单号{order}"),
    ("zh-Hant", "請問什麼時候出貨"),
    ("es", "¿cuándo envían mi pedido {order}?"),
    ("de", "Wann wird meine Bestellung {order} verschickt?"),
    ("fr", "Mon colis n'est toujours pas arrivé, ça fait {days} jours"),
    ("pt", "Quando chega meu pedido?"),
    ("it", "quando arriva il mio ordine?"),
    ("nl", "wanneer wordt mijn bestelling verzonden?"),
    ("pl", "kiedy wyślecie moje zamówienie?"),
    ("tr", "Sipariş ne zaman gelir?"),
    ("ja", "注文した商品はいつ届きますか"),
    ("ko", "배송 언제 되나요?"),
    ("ru", "когда отправите заказ {order}?"),
    ("ar", "متى سيصل طلبي؟"),
    ("th", "ส่งของวันไหนคะ"),
    ("id", "Kapan barang dikirim kak?"),
    ("vi", "Khi nào giao hàng vậy shop?"),
    # complaints and bad reviews
    ("en", "the {item} arrived cracked, I want my money back or I will leave 1 star"),
    ("en", "terrible quality, the {item} stopped working after {days} days"),
    ("en", "you sent me the wrong color"),
    (
        "en",
        "I ordered the {item} two weeks ago and when it finally arrived the box was crushed, "
        "half of the parts were missing and the manual was in a language I can't read. "
        "Really disappointed, this was supposed to be a birthday present.",
    ),
    ("zh", "收到的杯子是碎的 给我退款 不然差评"),
    ("zh", "质量太差了 用了{days}天就坏了"),
    ("zh", "颜色发错了，我要的是黑色"),
    ("zh-Hant", "收到的東西是壞的，很失望"),
    ("de", "Die Lieferung war beschädigt und unvollständig"),
    ("fr", "Le colis est arrivé abîmé"),
    ("es", "el producto llegó roto, muy mala calidad"),
    ("pt", "veio com defeito, não funciona"),
    ("it", "prodotto arrivato rotto, pessimo"),
    ("ja", "届いた商品が壊れていました"),
    ("ko", "물건이 파손되어 왔어요"),
    ("ru", "пришёл сломанный товар, ужас"),
    ("tr", "ürün kırık geldi"),
    ("pl", "towar przyszedł uszkodzony"),
    # returns and refunds
    ("en", "I want to return the {item}, they are too small"),
    ("en", "how do I get a refund for order {order}"),
    ("zh", "我想退货 怎么操作"),
    ("zh", "可以换货吗 尺码小了"),
    ("es", "quiero devolver el pedido, ¿cómo hago?"),
    ("de", "Ich möchte die Ware zurückschicken"),
    ("fr", "je voudrais être remboursé"),
    ("pt", "quero devolver e receber meu dinheiro de volta"),
    ("nl", "ik wil mijn geld terug"),
    ("ja", "返品したいです"),
    ("ko", "환불하고 싶어요"),
    ("ru", "хочу вернуть товар"),
    # product questions
    ("en", "does this {item} come in size XL?"),
    ("en", "is it suitable for a 3 year old?"),
    ("en", "is the {item} waterproof?"),
    ("en", "what are the dimensions of the {item}? will it fit in a small kitchen"),
    ("zh", "这个是纯棉的吗"),
    ("zh", "有没有大一号的"),
    ("zh", "这款{item}保修多久"),
    ("es", "¿de qué material es?"),
    ("de", "Ist das Produkt spülmaschinenfest?"),
    ("fr", "est-ce que c'est disponible en bleu ?"),
    ("ja", "サイズはいくつありますか"),
    ("ko", "색상 다른 것도 있나요?"),
    ("pt", "tem na cor preta?"),
    ("id", "ready stok kak?"),
    # payment
    ("en", "I paid already, please ship"),
    ("en", "can I pay cash on delivery"),
    ("en", "my card was declined twice, what should I do"),
    ("zh", "付款失败了怎么办"),
    ("zh", "可以货到付款吗"),
    ("es", "¿aceptan PayPal?"),
    ("de", "Kann ich per Rechnung bezahlen?"),
    ("fr", "le paiement ne passe pas"),
    ("ru", "не проходит оплата картой"),
    ("ja", "支払い方法は何がありますか"),
    # thanks and goodbyes
    ("en", "thanks a lot!"),
    ("en", "ok got it, thank you so much 🙏"),
    ("zh", "谢谢亲 收到了很喜欢"),
    ("zh", "好的 谢谢"),
    ("fr", "merci beaucoup, bonne journée"),
    ("de", "Vielen Dank, schönen Tag noch"),
    ("es", "muchas gracias!!"),
    ("ja", "ありがとうございます"),
    ("ko", "감사합니다"),
    ("ru", "спасибо большое"),
    ("tr", "çok teşekkürler"),
    ("th", "ขอบคุณค่ะ"),
    # several asks
    ("en", "hi! can you do a discount and when do you ship?"),
    ("en", "hello. is the {item} waterproof? also how long does delivery take to Germany"),
    ("zh", "在吗？能便宜点吗 还有什么时候发货"),
    ("zh", "你好 这个有现货吗？另外可以开发票吗"),
    ("es", "hola, ¿tienen talla M? ¿y cuánto tarda el envío?"),
    ("de", "Hallo! Ist der Artikel auf Lager? Und wann wird er verschickt?"),
    ("fr", "Bonjour. Mon colis est abîmé. Je veux un remboursement."),
    ("ja", "こんにちは。在庫はありますか？いつ発送されますか？"),
    # nothing in the library should answer
    ("en", "what is the meaning of life"),
    ("en", "can you recommend a good movie for tonight"),
    ("en", "asdfgh"),
    ("en", "{{7*7}}"),
    ("zh", "今天天气怎么样"),
    ("de", "Wie spät ist es in Tokio?"),
    ("fr", "quelle est la capitale de l'Australie"),
    ("sv", "vad kostar en biljett till Stockholm"),
    ("hi", "आज मौसम कैसा है"),
    ("en", "👍"),
)

ITEMS = (
    "mug", "shoes", "jacket", "headphones", "lamp", "backpack", "kettle", "phone case",
    "watch", "blender", "toy car", "yoga mat", "dress", "charger", "teapot", "umbrella",
)
OPENERS = ("", "", "", "hi, ", "hello ", "excuse me, ", "亲，", "hola, ", "bonjour, ")
CLOSERS = ("", "", "", " thanks", " pls", " 🙏", "!!", " ??", " 谢谢", " asap")


def mix(n: int = 600, seed: int = 9) -> list[str]:
    """`n` distinct messages: every base once as written, then varied copies."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []

    def fill(text: str) -> str:
        return (
            text.replace("{order}", f"#{rng.randrange(10_000, 99_999)}")
            .replace("{item}", rng.choice(ITEMS))
            .replace("{days}", str(rng.randrange(2, 15)))
            .replace("{n}", str(rng.randrange(2, 6)))
        )

    for _, text in BASES:
        filled = fill(text) if text != "{{7*7}}" else text
        if filled not in seen:
            seen.add(filled)
            out.append(filled)
    attempts = 0
    while len(out) < n and attempts < n * 50:
        attempts += 1
        _, text = rng.choice(BASES)
        if text == "{{7*7}}":
            continue
        varied = rng.choice(OPENERS) + fill(text) + rng.choice(CLOSERS)
        if rng.random() < 0.15:
            varied = varied.upper() if rng.random() < 0.3 else varied.capitalize()
        if varied not in seen:
            seen.add(varied)
            out.append(varied)
    rng.shuffle(out)
    return out[:n]


def read_messages(path: Path) -> list[str]:
    """The `text` of each JSON line (e.g. an evaluation file), or one message per line."""
    messages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        messages.append(str(json.loads(line)["text"]) if line.lstrip().startswith("{") else line)
    return messages
