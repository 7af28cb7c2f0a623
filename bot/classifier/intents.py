"""What a text sent to the bot *is*, before any fraud check (issue 12, "intent first").

People do not only paste suspicious messages: they tell what happened to them, say that the
money is already gone, ask where to call, answer the bot's last reply, say hello or thanks.
``IntentReader.read`` tells these apart so that each gets its own path (a verdict, the urgent
after-payment steps, an FAQ answer, an answer in the context of the last verdict, a short
friendly line).

The model is small on purpose, so that it adds well under a millisecond to a message:

* features: character n-grams of every word and word uni/bigrams of the *folded* text
  (bot/classifier/normalize.py: "ақша", "акша", "aqsha", "aqşa" meet), plus a few shape
  tokens (length, a link, digits, a question mark), TF-IDF weighted;
* linear heads (one-vs-rest linear SVMs: they fit in a fraction of a second where a logistic
  regression's solver takes seconds on a busy machine; their scores go through a softmax
  with a fixed temperature, which gives "calibrated-ish" confidences) fitted at start on
  knowledge/intents/ and on a sample of the scheme, benign and warning examples of kind
  ``message`` (pasted texts are what the fraud classifier learns from, so they teach "a
  message to check" too). Inference does not go through scikit-learn: the learnt
  vocabulary, idf and weights are read out once and a text costs a dictionary lookup per
  feature and one small matrix product;
* two heads over the same features: one for a text that follows a recent verdict (it may be
  a follow-up), one for a text with no such context (a follow-up is impossible: the same
  words are a question or other, as each follow-up example says in ``alone``);
* rules where rules are right: a forwarded message is a message; emoji alone is a greeting;
  a long text written *to* the reader rather than about the writer is a message; "paid" wins
  from a lower probability than the others, because a victim who gets the "hang up" advice
  instead of the urgent steps loses time (recall matters more than precision there).
"""

from __future__ import annotations

import re
from collections import Counter
import unicodedata
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from bot.classifier.normalize import fold, normalize
from bot.knowledge import KnowledgeBase

IntentId = Literal["message", "story", "paid", "question", "followup", "greeting", "other"]
PaidKind = Literal["money", "code", "app", "card"]
SocialKind = Literal["hello", "thanks", "emoji"]
INTENTS: tuple[str, ...] = get_args(IntentId)

# "paid" is chosen when its probability reaches this share even if another intent is higher:
# read off cross-validated scores of the knowledge examples (see tests/classifier/test_intents.py).
PAID_THRESHOLD = 0.25
# A text longer than this, written to the reader and not about the writer, is a pasted script.
LONG_TEXT = 250
# Only the start of a text is read: what a wall of text is shows in its first lines, and a
# 4096-character message would otherwise cost ten times a normal one.
READ_CHARS = 600
# Weight of all the knowledge-base `message` examples together, in multiples of the number of
# intent examples of `message`: they are many (~2 000) and would otherwise drown the rest.
# A fixed, evenly spread sample of them is enough and keeps the build fast.
KB_MESSAGE_WEIGHT = 0.5
KB_MESSAGE_SAMPLE = 700
_C = 1.0  # the SVMs' inverse regularisation
_CHAR_SIZES = (2, 3, 4)  # character n-gram lengths
_TEMPERATURE = 3.0  # softmax(score × this): SVM margins of about ±1 become probabilities
# Added to the follow-up score (before the softmax) when there is a recent verdict: most short
# lines typed right after an answer are about that answer.
FOLLOWUP_BIAS = 0.8
# Paid examples weigh this much more than others in training: a missed victim costs more than
# a story answered with the urgent steps.
PAID_WEIGHT = 1.5

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:kz|com|ru|online|site|top|info|net|org|xyz|shop|help|me|ly)\b")
# First-person words (folded): a long text with none of them is told *to* someone.
_FIRST_PERSON = frozenset(
    "я мне меня мой моя мое мои моего моей мною мы нам нас наш наша наши "
    "мен маган мени менин менде меним биз бизге бизди бизден бизин".split()
)
# Words that undo a loss (folded text): "я не сказала", "чуть не перевела", "отказалась",
# "айтпадым", "бермедім", "жазбадым", "жіберген жоқпын", "аудара жаздадым". With one of them
# "paid" must win outright: the lower bar for "paid" is for texts the model is unsure about,
# and a refusal is exactly the story that sounds like a loss.
_NEGATED_LOSS = re.compile(
    r"\bне (?:сказ|назв|дал|да[вю]|стал|вв[ое]|вве|перев|перечисл|отправ|скин|плат|оплат|заплат|скач|устан|став"
    r"|постав|диктов|продикт|сообщ|переход|перешл|перешел|откры|нажим|нажал|вклад|влож|отда)\w*"
    r"|\bотказал\w*|\bчут не\b"
    # "почти перевела" (almost); the verb is needed, since "почты" (the post's) folds to "почти"
    r"|\bпочти (?:\w+ )?(?:перев|перечисл|отправ|сказ|назв|продикт|диктов|оплат|заплат|скин|ввел|установ|скач|отда|дал)"
    r"|\w(?:ма|ме|ба|бе|па|пе)дим\b|\bжокпин\b|\bжаздадим\b|\bжаздади\b"
)
# A teller's own completed loss, in Kazakh: "20 мың аудардым", "салығын төледім", "депозитке
# 10 мың салдым", "бағдарлама орнаттым", "апам аударып жіберіпті"; in Russian: "я оплатил 60
# тысяч", "я продиктовала код", "я ввела данные карты". Kazakh marks the person in the verb;
# Russian past tense does not ("он перевёл мне"), so a Russian cue needs the "я" before the verb.
# The n-gram model, trained on stories of every kind, reads such a narrative as a calm story
# often (on 70 held-out victims' narratives, 25 of 40 Kazakh and 13 of 30 Russian): a cue makes
# "paid" *tentative*, and the classifier decides between the urgent steps and the story's verdict.
# Words that only sometimes mean a loss count only with a sum, money or a code in the text:
# "жібердім" / "отправила" (I sent: a photo?), "айттым" / "сказала" (I said: «no»?), "салдым"
# (I put in, but also the auxiliary of a quick act: "тастай салдым", I hung up at once);
# "бердім" alone is never a cue ("жауап бердім", I answered). A bare "салыпты" ("he put money
# in, they say") is a story about someone else's investment, not a loss found out afterwards
# (the completive "аударып жіберіпті", "айтып қойыпты").
# All of it is matched on the folded text, where Cyrillic and every Latin spelling meet.
# Who acts in a Russian cue: "я" (a word or two before the verb: "я уже перевела"), nobody at
# the start of a sentence ("оплатил налог на выигрыш": the pronoun dropped, as people type), or a
# close relative ("мама сразу перевела"); never "он перевёл мне".
_RU_ACT = (r"(?:перевел|перевела|перечислил|перечислила|оплатил|оплатила|заплатил|заплатила|внес|внесла"
           r"|вложил|вложила|вернул|вернула|отдал|отдала)\b")
# (folded forms: "сегодня" is "сегодниа", "мать" "мат", "отец" "отетс", "сын" "син", "тёща" "тешча")
_RU_SOON = r"(?:(?:уже|вчера|сегодниа|сразу|тоже|все|потом) )?"
_RU_KIN = r"(?:мама|мат|папа|отетс|бабушка|дедушка|муж|жена|син|доч|дочка|брат|сестра|свекров|тешча|свекор)\b"
# "я" a word or two before the verb ("я уже перевела"), or the teller's second act in the same
# sentence ("я взяла кредит сама в приложении и перевела всё", "я зашла по ссылке и ввела")
_RU_I = rf"(?:\bиа (?:\w+ ){{0,2}}?|\bиа\b[^.!?]{{0,80}}? и {_RU_SOON})"
_LOSS = re.compile(
    r"\b(?:аудардим|толедим|орнаттим|жуктедим|енгиздим"
    r"|(?:аударип|толеп|енгизип) (?:жибердим|коидим)|(?:орнатип|жуктеп) (?:алдим|коидим)"
    r"|(?:аударип|толеп) (?:жиберипти|коии?пти))\b"
    rf"|{_RU_I}{_RU_ACT}|(?:^|[.!?] ){_RU_SOON}{_RU_ACT}|\b{_RU_KIN} {_RU_SOON}{_RU_ACT}"
)
# (folded forms, as everywhere here: "CVV" is "свв", "пароль" "парол", "деньги" "денги")
_WHAT = (r"(?:мин|тенге|тг|акша|акшани|акшамди|код|кодти|кодин|купиясоз\w*|парол\w*|логин\w*|свв|смс"
         r"|санди|сандарди|сандарин|тсифр\w*|номирин|деректерин|деректерди|барин|тисиач\w*|денги|кода|коди|данние|карт\w*"
         r"|приложени\w*|демонстратс\w*|экран|разрешени\w*|анидеск\w*|рустдеск\w*|программ\w*|багдарлам\w*)")
_SENT_WHAT = re.compile(rf"\d|\b{_WHAT}\b")
_SENT = re.compile(
    r"\b(?:жибердим|салдим|(?:жазип|салип) (?:жибердим|коидим|бердим))\b"
    rf"|{_RU_I}(?:отправил|отправила|скинул|скинула|продиктовал|продиктовала|ввел|ввела|дал|дала"
    r"|отдал|отдала|переслал|переслала|установил|установила|поставил|поставила|скачал|скачала|вклиучил|вклиучила|показал|показала)\b"
    # said / told: only what was said, not "деп айттым" (I said that…), "я сказала, что подумаю"
    r"|(?<!деп )\b(?:аиттим|аитип (?:жибердим|коидим|бердим)|аитип коии?пти)\b"
    rf"|{_RU_I}(?:сказал|сказала|назвал|назвала)(?= (?:\w+ ){{0,2}}?{_WHAT}\b|\s*[.!]|\s*$)"
)
# ...but not in a text written to the reader: "сізге қате 5000 аудардым, қайтарыңызшы", "я вам
# ошибочно перевела, верните" is the "mistaken transfer" script itself, a message to check.
_TO_READER = re.compile(r"\b(?:сизге|саган|сизди|сени|кайтарип|кайтарииз\w*|кайтаршы|вам|тебе|верните|верни)\b")
# (unless the words to "you" are reported: "сізге ұтыс шықты деді, 25 мың төледім")
_REPORTED = re.compile(r"\b(?:деди|депти|деп|дейди|сказал\w*|говорил\w*|написал\w*|пишут|звонил\w*)\b")


# Denials of the acts only a cue names ("я не включила демонстрацию"); kept out of
# `_NEGATED_LOSS`, which also relabels the model's training stories.
_NOT_DONE = re.compile(r"\bне (?:вклиуч|показ)\w*")


def loss_cue(folded: str) -> bool:
    """The teller's own account (Kazakh or Russian) of money sent, a code told or an app
    installed, not denied (`_NEGATED_LOSS`) and not addressed to the reader."""
    if _NEGATED_LOSS.search(folded) or _NOT_DONE.search(folded):
        return False
    if _TO_READER.search(folded) and not _REPORTED.search(folded):
        return False
    return bool(_LOSS.search(folded) or (_SENT.search(folded) and _SENT_WHAT.search(folded)))


# A line made only of courtesy words is a greeting whatever came before ("ок спасибо", "сәлем
# бот", "добрый вечер"): the model needs no help there, but one unusual filler must not tip it.
_HELLO_WORDS = (
    "привет приветик прив приветствую здравствуйте здравствуй здрасте здрасьте хай добрый доброе доброго "
    "доброй салем салам салеметсиз салеметсизбе салеметсиздер саламатсиз саламатсызба армысыз ассалаумагалейкум "
    "ассаламуалейкум ассалаумалейкум уалейкум кайырлы hi hello"
)
_THANKS_WORDS = (
    "спасибо спасибки спасибочки спс пасиб благодарю рахмет ракмет рахмеет алгыс пока свидания "
    "сау болыныз болыныз разы thanks thank"
)
_FILLER_WORDS = (
    "ок окей ok хорошо ладно понятно ясно большое огромное вам тебе всем бот день утро утра вечер ночи времени "
    "суток до и да кун тан кеш коп улкен сизге саган бот достар ага апай агай айналайын жаксы тусиндим бе ба "
    "ме ма мын сау болсын алла разы дай бог здоровья храни очень помогли вы"
)
_THANKS = re.compile(r"рах?ме+т|ракме+т|рахм|спасиб|спс|благодар|пасиб|алгис|разы болсин|сау бол|до свидан|\bпока\b")


@dataclass(frozen=True)
class IntentGuess:
    intent: IntentId
    paid: PaidKind | None  # only when intent == "paid": what was given away
    social: SocialKind | None  # only when intent == "greeting"
    confidence: float  # 0..1
    # "paid" chosen only because its probability reached PAID_THRESHOLD while another intent
    # was likelier: the reader leans towards the urgent path on purpose, and the conversation
    # asks the classifier before it answers a calm story with "the money is gone"
    tentative: bool = False


def _features(folded: str, original: str) -> list[str]:
    """Character n-grams (2–4) of each padded word, words, word pairs and shape tokens."""
    words = _WORD.findall(folded)
    feats: list[str] = []
    for w in words:
        padded = f" {w} "
        n = len(padded)
        for size in _CHAR_SIZES:
            for i in range(n - size + 1):
                feats.append(padded[i:i + size])
        feats.append("w:" + w)
    for a, b in zip(words, words[1:]):
        feats.append(f"b:{a} {b}")
    count = len(words)
    feats.append("#len:" + ("0" if count == 0 else "1" if count == 1 else "2-3" if count <= 3
                            else "4-8" if count <= 8 else "9-20" if count <= 20 else "21+"))
    if words:
        feats.append("#first:" + words[0])
        feats.append("#last:" + words[-1])
    if _URL.search(folded):
        feats.append("#url")
    if any(ch.isdigit() for ch in original):
        feats.append("#digits")
    if "?" in original:
        feats.append("#q")
    if "\n" in original.strip():
        feats.append("#lines")
    if "«" in original or '"' in original or ":" in original:
        feats.append("#quote")
    return feats


def is_emoji_only(text: str) -> bool:
    """Only pictographs (and spaces, joiners, skin tones): no letter, digit or punctuation mark."""
    seen = False
    for ch in text:
        if ch.isspace() or ch in "\u200d\ufe0f\ufe0e":
            continue
        cat = unicodedata.category(ch)
        if cat == "So" or cat == "Sk" or 0x1F000 <= ord(ch) <= 0x1FAFF:
            seen = True
            continue
        return False
    return seen


def _folded_words(words: str) -> frozenset[str]:
    return frozenset(fold(normalize(w).text) for w in words.split())


_COURTESY: dict[str, frozenset[str]] = {}


def _courtesy(folded_words: list[str]) -> SocialKind | None:
    """"hello" or "thanks" when every word of the line is a courtesy word, else None."""
    if not _COURTESY:
        _COURTESY.update(hello=_folded_words(_HELLO_WORDS), thanks=_folded_words(_THANKS_WORDS),
                         filler=_folded_words(_FILLER_WORDS))
    if not folded_words or len(folded_words) > 6:
        return None
    hello = thanks = False
    for w in folded_words:
        if w in _COURTESY["thanks"] or w.startswith(("спасиб", "рахм", "ракм", "благодар")):
            thanks = True
        elif w in _COURTESY["hello"] or w.startswith(("здравств", "здрас", "привет")):
            hello = True
        elif w not in _COURTESY["filler"]:
            return None
    return "thanks" if thanks else "hello" if hello else None


class _Head:
    """A fitted multinomial logistic regression read out for fast single-text scoring."""

    def __init__(self, classes: list[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.classes = classes
        self.coef_t = np.ascontiguousarray(coef.T)  # features × classes
        self.intercept = intercept

    def proba(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        scores = vals @ self.coef_t[idx] + self.intercept if len(idx) else self.intercept.copy()
        scores = scores - scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()


class IntentReader:
    """Reads the intent of a text; built from the knowledge base in about a second."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        rows: list[tuple[str, str, str, str | None, float]] = []  # text, label with context, alone, sub, weight
        per_intent: dict[str, int] = {}
        for part in knowledge.intents:
            for ex in part.examples:
                if part.intent == "greeting" and ex.social == "emoji":
                    continue  # a rule reads emoji; their "features" would only be shape tokens
                sub = ex.paid or ex.social
                alone = ex.alone if part.intent == "followup" else part.intent
                label = part.intent
                if label == "story" and _NEGATED_LOSS.search(normalize(ex.text).folded):
                    # "they asked for the code, I did not tell": right after a verdict, a refusal
                    # is told about that very contact, so the head with context learns a follow-up.
                    label = "followup"
                rows.append((ex.text, label, alone, sub, 1.0))
                per_intent[part.intent] = per_intent.get(part.intent, 0) + 1
        missing = [i for i in INTENTS if not per_intent.get(i)]
        if missing:
            raise ValueError(
                f"knowledge/intents has no examples for {', '.join(missing)}: add a YAML file per intent "
                "(see knowledge/README.md)"
            )
        pasted = [ex.text for _, ex in knowledge.labelled_examples() if ex.kind == "message"]
        if len(pasted) > KB_MESSAGE_SAMPLE:
            step = len(pasted) / KB_MESSAGE_SAMPLE
            pasted = [pasted[int(i * step)] for i in range(KB_MESSAGE_SAMPLE)]
        if pasted:
            w = KB_MESSAGE_WEIGHT * per_intent["message"] / len(pasted)
            rows.extend((t, "message", "message", None, w) for t in pasted)

        docs = [self._doc(text) for text, *_ in rows]
        vectorizer = TfidfVectorizer(analyzer=lambda d: _features(*d), sublinear_tf=True, min_df=2, dtype=np.float64)
        x = vectorizer.fit_transform(docs)
        self._vocab: dict[str, int] = vectorizer.vocabulary_
        self._idf = vectorizer.idf_
        weights = np.array([r[4] * (PAID_WEIGHT if r[1] == "paid" else 1.0) for r in rows])

        def head(labels: list[str], mask: np.ndarray | None = None) -> _Head:
            xs, ys, ws = x, np.array(labels), weights
            if mask is not None:
                xs, ys, ws = x[mask], ys[mask], weights[mask]
            model = LinearSVC(C=_C, random_state=0)  # its solver shuffles: fixed, so every start is the same model
            model.fit(xs, ys, sample_weight=ws)
            coef, intercept = model.coef_, model.intercept_
            if len(model.classes_) == 2:  # one row for "the second class": make it a row per class
                coef, intercept = np.vstack([-coef, coef]) / 2, np.array([-intercept[0], intercept[0]]) / 2
            return _Head([str(c) for c in model.classes_], coef * _TEMPERATURE, intercept * _TEMPERATURE)

        self._with_context = head([r[1] for r in rows])
        self._with_context.intercept = self._with_context.intercept + np.array(
            [FOLLOWUP_BIAS if c == "followup" else 0.0 for c in self._with_context.classes])
        self._alone = head([r[2] for r in rows])
        is_paid = np.array([r[1] == "paid" for r in rows])
        self._paid = head([r[3] or "" for r in rows], is_paid)
        is_social = np.array([r[1] == "greeting" for r in rows])
        self._social = head([r[3] or "" for r in rows], is_social)

    @staticmethod
    def _doc(text: str) -> tuple[str, str]:
        return (normalize(text).folded, text)

    def _vector(self, doc: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
        """The text's TF-IDF row as (feature indices, L2-normalised values), as the vectorizer
        would compute it, without its per-call overhead."""
        vocab = self._vocab
        pairs = [(vocab[f], c) for f, c in Counter(_features(*doc)).items() if f in vocab]
        if not pairs:
            return np.empty(0, dtype=np.intp), np.empty(0)
        idx = np.array([j for j, _ in pairs], dtype=np.intp)
        vals = (1.0 + np.log(np.array([c for _, c in pairs], dtype=np.float64))) * self._idf[idx]
        return idx, vals / np.linalg.norm(vals)

    def read(self, text: str, previous: str | None, *, forwarded: bool = False) -> IntentGuess:
        """The intent of ``text``. ``previous``: the scheme id (or "benign") of the bot's last
        verdict to this person within the memory window, else None; ``forwarded``: the text came
        as a forwarded message (always a message to check)."""
        if forwarded:
            return IntentGuess("message", None, None, 0.99)
        if is_emoji_only(text):
            return IntentGuess("greeting", None, "emoji", 0.97)
        doc = self._doc(text[:READ_CHARS])
        folded = doc[0]
        if not _WORD.search(folded):
            return IntentGuess("other", None, None, 0.9)
        courtesy = _courtesy(_WORD.findall(folded))
        if courtesy is not None:
            return IntentGuess("greeting", None, courtesy, 0.95)
        idx, vals = self._vector(doc)
        head = self._alone if previous is None else self._with_context
        probs = head.proba(idx, vals)
        by = dict(zip(head.classes, probs))
        intent = max(by, key=by.get)
        tentative = False
        if by["paid"] >= PAID_THRESHOLD and (intent == "paid" or not _NEGATED_LOSS.search(folded)):
            tentative = intent != "paid"
            intent = "paid"
        elif intent in ("story", "other", "question", "followup") and loss_cue(folded):
            tentative, intent = True, "paid"
        elif len(text) > LONG_TEXT and intent in ("story", "other", "question", "followup"):
            if not (set(_WORD.findall(folded)) & _FIRST_PERSON):
                intent = "message"
        confidence = float(by[intent])
        paid = social = None
        if intent == "paid":
            p = self._paid.proba(idx, vals)
            paid = self._paid.classes[int(np.argmax(p))]
            confidence = max(confidence, 0.5)
        elif intent == "greeting":
            if _THANKS.search(folded):
                social = "thanks"
            else:
                p = self._social.proba(idx, vals)
                social = self._social.classes[int(np.argmax(p))]
        return IntentGuess(intent, paid, social, round(confidence, 4), tentative)
