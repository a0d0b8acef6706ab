"""The buyer's tone, and the reply tone that fits it.

angry or urgent → empathetic, formal → formal, casual → friendly, neutral → the shop's
default. Signals are words per language, capitals, runs of "!!!"/"???", emoji and polite
forms (您, Sie, vous, usted, です).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.library import Tone
from app.text import Normalized


class BuyerTone(StrEnum):
    """How the buyer sounds."""

    angry = "angry"
    urgent = "urgent"
    formal = "formal"
    casual = "casual"
    neutral = "neutral"


REPLY_TONE = {
    BuyerTone.angry: Tone.empathetic,
    BuyerTone.urgent: Tone.empathetic,
    BuyerTone.formal: Tone.formal,
    BuyerTone.casual: Tone.friendly,
}

# Folded (lower-case, Simplified) words that signal a tone. Matched as substrings for
# unspaced scripts and as whole words otherwise.
_WORDS: dict[BuyerTone, tuple[str, ...]] = {
    BuyerTone.angry: (
        "terrible",
        "worst",
        "awful",
        "scam",
        "ridiculous",
        "unacceptable",
        "angry",
        "useless",
        "garbage",
        "trash",
        "wtf",
        "disgusting",
        "fraud",
        "liar",
        "差评",
        "垃圾",
        "骗子",
        "气死",
        "太差",
        "投诉",
        "什么破",
        "坑人",
        "举报",
        "最悪",
        "ひどい",
        "詐欺",
        "schrecklich",
        "betrug",
        "unverschämt",
        "arnaque",
        "honteux",
        "inadmissible",
        "estafa",
        "vergüenza",
        "horrible",
        "péssimo",
        "golpe",
        "ужас",
        "обман",
        "отвратительно",
        "최악",
        "사기",
        "dolandırıcı",
        "rezalet",
        "oszustwo",
        "skandal",
        "lừa đảo",
        "penipu",
        "oplichting",
        "truffa",
        "vergogna",
    ),
    BuyerTone.urgent: (
        "asap",
        "urgent",
        "urgently",
        "immediately",
        "right now",
        "hurry",
        "quickly",
        "快点",
        "急",
        "马上",
        "赶紧",
        "尽快",
        "催",
        "急ぎ",
        "至急",
        "dringend",
        "sofort",
        "urgent",
        "vite",
        "urgente",
        "rápido",
        "срочно",
        "быстрее",
        "급해",
        "빨리",
        "acil",
        "pilne",
        "gấp",
        "segera",
        "cepat",
        "snel",
        "spoed",
        "subito",
    ),
    BuyerTone.formal: (
        "dear",
        "sir",
        "madam",
        "kindly",
        "would you",
        "could you please",
        "regards",
        "sincerely",
        "您",
        "请问",
        "麻烦",
        "贵店",
        "sie",
        "ihnen",
        "sehr geehrte",
        "vous",
        "monsieur",
        "madame",
        "usted",
        "estimado",
        "estimada",
        "senhor",
        "senhora",
        "です",
        "ます",
        "ございます",
        "いただけ",
        "вы",
        "вас",
        "уважаем",
        "입니다",
        "습니까",
        "합니다",
        "sayın",
        "lütfen",
        "pan",
        "pani",
        "państwo",
        "quý",
        "kính",
        "bapak",
        "ibu",
        "uw",
        "geachte",
        "gentile",
        "egregio",
    ),
    BuyerTone.casual: (
        "hey",
        "hi",
        "hiya",
        "yo",
        "lol",
        "haha",
        "pls",
        "plz",
        "thx",
        "u",
        "ur",
        "亲",
        "哈哈",
        "呀",
        "哦",
        "啦",
        "嘛",
        "呗",
        "hallo",
        "hola",
        "salut",
        "coucou",
        "oi",
        "ciao",
        "привет",
        "спс",
        "ㅋㅋ",
        "안녕",
        "yaa",
        "kak",
        "gan",
        "hoi",
        "cześć",
        "merhaba",
    ),
}


@dataclass(frozen=True, slots=True)
class ToneGuess:
    """The buyer's tone with confidence and the signals read."""

    buyer: BuyerTone
    confidence: float
    signals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """One tone's words, split by how they are found (built once, at import)."""

    words: frozenset[str]  # whole words
    phrases: tuple[str, ...]  # several words, found between spaces
    substrings: tuple[str, ...]  # non-Latin words, found anywhere (unspaced scripts)
    order: dict[str, int]  # signals are listed in the lexicon's order

    @classmethod
    def of(cls, words: tuple[str, ...]) -> _Lexicon:
        return cls(
            words=frozenset(w for w in words if w.isascii() and " " not in w),
            phrases=tuple(w for w in words if " " in w),
            substrings=tuple(w for w in words if not w.isascii() and " " not in w),
            order={w: i for i, w in enumerate(words)},
        )

    def found(self, text: str, tokens: set[str]) -> list[str]:
        hits = list(self.words.intersection(tokens))
        if self.phrases:
            padded = f" {text} "
            hits += [w for w in self.phrases if f" {w} " in padded]
        if self.substrings and not text.isascii():
            hits += [w for w in self.substrings if w in text]
        if len(hits) > 1:
            hits.sort(key=self.order.__getitem__)
        return hits


_LEXICONS = {tone: _Lexicon.of(words) for tone, words in _WORDS.items()}


_ANGRY_EMOJI = frozenset("😡😠🤬👎💢😤")
_CASUAL_EMOJI = frozenset("😊😀😁😂🤣😄😃😉🙂😍🥰❤👍🙏😘✨🎉💕")


def detect_tone(norm: Normalized) -> ToneGuess:
    """Read the buyer's tone from words, capitals, punctuation runs and emoji."""
    score: dict[BuyerTone, float] = dict.fromkeys(BuyerTone, 0.0)
    signals: list[str] = []
    tokens = set(norm.match_text.split())
    for tone, lexicon in _LEXICONS.items():
        for word in lexicon.found(norm.match_text, tokens):
            score[tone] += 1.0
            signals.append(f"{tone.value}:{word}")
    if norm.caps_ratio > 0.7 and norm.letters >= 8:
        score[BuyerTone.angry] += 1.5
        signals.append("all caps")
    if norm.exclaim_runs:
        score[BuyerTone.angry] += 0.75 * norm.exclaim_runs
        signals.append("!!!")
    if norm.question_runs:
        score[BuyerTone.urgent] += 0.75 * norm.question_runs
        signals.append("???")
    for emoji in norm.emoji:
        if emoji in _ANGRY_EMOJI:
            score[BuyerTone.angry] += 1.0
            signals.append(f"emoji:{emoji}")
        elif emoji in _CASUAL_EMOJI:
            score[BuyerTone.casual] += 0.75
            signals.append(f"emoji:{emoji}")
    # A state (angry, urgent) outweighs a style (formal, casual): "Dear sir, this is a
    # SCAM" needs an apology first, whatever its politeness.
    if score[BuyerTone.angry] or score[BuyerTone.urgent]:
        best = max((BuyerTone.angry, BuyerTone.urgent), key=lambda t: score[t])
    else:
        best = max((BuyerTone.formal, BuyerTone.casual), key=lambda t: score[t])
    if score[best] <= 0:
        return ToneGuess(BuyerTone.neutral, 0.5, ())
    total = sum(score.values())
    confidence = round(min(0.95, 0.5 + 0.45 * (score[best] / total) * min(1.0, score[best] / 2)), 3)
    return ToneGuess(best, confidence, tuple(signals))


def reply_tone(buyer: BuyerTone, default: Tone) -> Tone:
    return REPLY_TONE.get(buyer, default)
