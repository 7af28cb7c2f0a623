"""Which language a message is in: Kazakh (Cyrillic or Latin), Russian, both, or neither.

Kazakh is recognised by its own letters (ә ғ қ ң ө ұ ү һ і) and by common words, also when
they are typed without those letters or in Latin ("sizge", "aqsha", "salem"): the word lists
are compared in the folded form, where all of those spellings meet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.classifier.normalize import Normalized, fold

Language = Literal["kk", "ru", "mixed", "other"]
Script = Literal["cyrillic", "latin", "mixed", "none"]

_KK_LETTERS = set("әғқңөұүһі")
_KK_LATIN_LETTERS = set("qğñäöüūıǵńáóúý")
_KK_WORDS_RAW = """
мен сен сіз ол біз сендер сіздер олар маған саған сізге оған бізге сізді сені мені оны
сіздің сенің менің оның біздің өзіңіз өзің өзім және бірақ немесе үшін деп деді дейді
бар жоқ емес керек қажет болады болды бола болса ғой ғана да де та те ма ме ба бе па пе
бұл осы сол мына анау қазір кейін ертең бүгін кеше әлі енді тез дереу тағы әрі
қалай неге неше кім қашан қайда қандай нені сәлем салем сәлеметсіз сәлеметсізбе рахмет
рақмет иә жақсы жарайды апа аға ата әже әпке іні бауырым бауыр қарындас балам ұлым қызым
ақша ақшаны ақшасын аудар аударып аударыңыз жібер жіберші жіберіп жіберіңіз жіберу
айт айтшы айтыңыз айтып келді келген келеді келіп түсті түседі алдым алды бердім берді
қарыз қарызға сілтеме сілтемеге сілтемені өтіңіз басыңыз нөмір нөмірі нөміріңіз карта
картаңыз картаңызға картаға шот шотқа шотыңыз төлем төлеу төлеңіз ұтыс ұтып жүлде сыйлық
алаяқ алаяқтар алаяқтық хабарлама хабарласыңыз хабарласты қоңырау қоңырау шалды жазды
сатып аламын беремін қайтарамын қайтарып үйге үйде жұмыс жұмыста қызмет қызметі
"""
_RU_WORDS_RAW = """
и в во на что это вы вам вас ваш ваша ваше ваши как для по с со у я мне меня мы нам нас
он она они его ее их но нет от за из к ко о об если или уже так все всё был была были
есть будет будут сейчас пожалуйста здравствуйте привет добрый день спасибо можно нужно
надо очень только еще ещё тоже когда где кто чтобы потому который которая которые
деньги денег карту карты картой перевод переведите срочно сообщите скажите
позвонили звонили звонят сказали говорят пришло пришла пришел написали просят просит
мошенники мошенник банка банк ваша вашей вашего ваш вашу номер номера ссылке ссылку
получить получите оплатите оплата заблокирована заблокирован сегодня завтра вчера
мама сын дочь брат сестра друг подруга помогите помоги дай займи верну сделать
"""


def _fold_word(word: str) -> str:
    return fold(word.casefold())


_KK_WORDS = {_fold_word(w) for w in _KK_WORDS_RAW.split()}
_RU_WORDS = {_fold_word(w) for w in _RU_WORDS_RAW.split()} - _KK_WORDS
_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
UNKNOWN_CYRILLIC = 0.3


@dataclass(frozen=True)
class LanguageGuess:
    lang: Language
    script: Script
    kk_score: float
    ru_score: float

    @property
    def reply_lang(self) -> Literal["kk", "ru"]:
        """The language to answer in when the user has not chosen one."""
        return "kk" if self.kk_score > self.ru_score else "ru"


def _script(text: str) -> Script:
    has_cyr = bool(re.search(r"[\u0400-\u04ff]", text))
    has_lat = bool(re.search(r"[a-zäöüūıñğçşáóúýǵń]", text))
    if has_cyr and has_lat:
        return "mixed"
    return "cyrillic" if has_cyr else "latin" if has_lat else "none"


def _strip_links(text: str) -> str:
    return re.sub(r"\S*(?:https?://|www\.|\.[a-z]{2,6}/)\S*", " ", text)


def detect_language(norm: Normalized) -> LanguageGuess:
    text = _strip_links(norm.text)
    words = _WORD.findall(text)
    folded = [_fold_word(w) for w in words]
    kk = ru = 0.0
    for word, fold in zip(words, folded):
        if _KK_LETTERS & set(word):
            kk += 2
        elif word.isascii() is False and _KK_LATIN_LETTERS & set(word):
            kk += 2
        elif fold in _KK_WORDS:
            kk += 1
        elif fold in _RU_WORDS:
            ru += 1
        elif len(word) >= 3 and _CYRILLIC.search(word):
            ru += UNKNOWN_CYRILLIC  # a Cyrillic word that is not Kazakh is most often Russian
    script = _script(text)
    if kk == 0 and ru == 0:
        lang: Language = "ru" if script == "cyrillic" and len(words) >= 1 else "other"
    elif min(kk, ru) >= 1.5 and min(kk, ru) / max(kk, ru) >= 0.3:
        lang = "mixed"
    else:
        lang = "kk" if kk > ru else "ru"
    return LanguageGuess(lang=lang, script=script, kk_score=kk, ru_score=ru)
