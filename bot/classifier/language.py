"""Which language a message is in: Kazakh (Cyrillic or Latin), Russian, both, or neither.

Kazakh is recognised by its own letters (ә ғ қ ң ө ұ ү һ і, and in Latin q, ä á ǵ ğ ń ñ ó ö ú ü
ū ý ı ş, or a 2017 apostrophe), by common words and by its polite and personal endings
(-ңыз, -сыз, -мыз), also when typed without its letters or in Latin ("sizge", "aqsha",
"salem"). Cyrillic words are compared with the word lists after folding only the Kazakh
letters onto their Russian look-alikes, so Cyrillic and mixed texts are judged as before the
Latin alphabets were added (apart from the endings, which once counted as Russian); Latin
words after the full fold of ``normalize`` (every Kazakh alphabet meets Cyrillic there), which
also merges some Russian and Kazakh words ("ya"/"иә", "oni"/"оны"): those count for neither.
Latin words that are also English ("men", "bar", "me", "be", "on", "no") count for nothing, so
English is not taken for Kazakh; Russian transliteration is also known by its endings
("skazhite", "-ogo", "-tsya").
"""

from __future__ import annotations

from bot.knowledge.schema import Lang

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.classifier.normalize import Normalized, fold, is_kazakh_2017

Language = Literal["kk", "ru", "mixed", "other"]
Script = Literal["cyrillic", "latin", "mixed", "none"]

_KK_LETTERS = set("әғқңөұүһі")
_KK_LATIN_LETTERS = set("ğñäöüūıǵńáóúýíəŋş")
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
жатыр жатырмын жатырсыз жатқан тегін беріп алып кір кіріңіз кіріп жаз жазып жазыңыз жазшы
сұрады сұрап айтты айтқан болып кодты кодын нөміріңді нөміріңмен ешкімге ешкім ештеңе
мұнда қайта бәрі барлық көмектес көмектесші көмек шұғыл дауыс беріңіз беріңізші досым
досың жаным күнім қалайсың туралы сияқты сосын содан
есік алдында түсіп түсіріп дәрігер жұма төлеп төледім тастадым жаздым жазылдым алдым келдім
бардым кеттім жеттім жетті тұрмын үйдемін
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


_CYR_FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")


def _fold_cyrillic(word: str) -> str:
    """A (lower-case) Cyrillic word with the Kazakh letters folded onto their Russian
    look-alikes only."""
    return word.translate(_CYR_FOLD)


@lru_cache(maxsize=8192)
def _fold_latin(word: str, kk2017: bool = False) -> str:
    """A Latin word in the full fold (cached: a text repeats its words, and folding one word
    builds the offsets that ``normalize`` needs and this does not)."""
    return fold(word.casefold(), kk2017)


_KK_WORDS = {_fold_cyrillic(w) for w in _KK_WORDS_RAW.split()}
_RU_WORDS = {_fold_cyrillic(w) for w in _RU_WORDS_RAW.split()} - _KK_WORDS
_KK_LATIN = {_fold_latin(w) for w in _KK_WORDS_RAW.split()}
_RU_LATIN = {_fold_latin(w) for w in _RU_WORDS_RAW.split()}
_KK_LATIN, _RU_LATIN = _KK_LATIN - _RU_LATIN, _RU_LATIN - _KK_LATIN
# Kazakh words whose Latin spelling is also a common English word or name ("men", "bar", "shot"):
# in Latin they say nothing, so an English text is not taken for Kazakh.
_KK_LATIN -= {_fold_latin(w) for w in ("men", "bar", "shot", "kim", "sol", "ali", "mina", "ata")}
# A word with a Latin letter in it, apostrophes of the 2017 alphabet included ("o'tin'iz").
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ‘`][^\W\d_]+)*['’ʼ‘`]?")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zäöüūıñğçşáóúýǵńíəŋ]")
_APOSTROPHE = re.compile(r"['’ʼ‘`]")
# "q" is қ: English puts it before "u" only ("quick", "request").
_KAZAKH_Q = re.compile(r"q(?!u)")
# Endings only Kazakh has, in the folded form: -ңыз/-ңіз (polite "you", imperative), -сыз/-сіз,
# -мыз/-міз ("we"). Russian ends a word in "-низ" only in "вниз", too short to count here
# (-ңдар/-ңдер would take "календарь" and "тендер").
_KK_ENDING = re.compile(r"..(?:низ|сиз|миз)$")
_KK_ENDING_CYRILLIC = re.compile(r"..[нсм][ыи]з$")  # the same, on a Cyrillic word (і already и)
# Endings of Russian in Latin transliteration, in the folded form: -ите (imperative: "skazhite",
# "perevedite"), -ого/-его, -тся/-ться, -ение/-ание.
_RU_TRANSLIT_ENDING = re.compile(r"..(?:ите|ого|его|тсиа|ение|ание)$")
_ENGLISH_SHORT = {"i", "a", "o", "u", "on", "no", "so", "my", "to", "me", "be", "he", "we"}
UNKNOWN_CYRILLIC = 0.3
KAZAKH_ENDING = 1.0
RUSSIAN_ENDING = 0.5


@dataclass(frozen=True)
class LanguageGuess:
    lang: Language
    script: Script
    kk_score: float
    ru_score: float

    @property
    def reply_lang(self) -> Lang:
        """The language to answer in when the user has not chosen one."""
        return "kk" if self.kk_score > self.ru_score else "ru"


def _script(text: str) -> Script:
    has_cyr = bool(_CYRILLIC.search(text))
    has_lat = bool(_LATIN.search(text))
    if has_cyr and has_lat:
        return "mixed"
    return "cyrillic" if has_cyr else "latin" if has_lat else "none"


def _strip_links(text: str) -> str:
    return re.sub(r"(?<!\S)\S*(?:https?://|www\.|\.[a-z]{2,6}/)\S*", " ", text)


def _score_cyrillic(word: str) -> tuple[float, float]:
    """(kk, ru) evidence of one Cyrillic word."""
    if _KK_LETTERS & set(word):
        return 2, 0
    folded = _fold_cyrillic(word)
    if folded in _KK_WORDS:
        return 1, 0
    if folded in _RU_WORDS:
        return 0, 1
    if _KK_ENDING_CYRILLIC.search(folded):
        return KAZAKH_ENDING, 0  # "айтпаныз", "жибериниз": Kazakh typed without its letters
    if len(word) >= 3:
        return 0, UNKNOWN_CYRILLIC  # a Cyrillic word that is not Kazakh is most often Russian
    return 0, 0


def _score_latin(word: str, kk2017: bool) -> tuple[float, float]:
    """(kk, ru) evidence of one Latin word (Kazakh in any Latin alphabet, Russian translit)."""
    if _KK_LATIN_LETTERS & set(word) or _KAZAKH_Q.search(word):
        return 2, 0
    if kk2017 and _APOSTROPHE.search(word):
        return 2, 0
    folded = _fold_latin(word, kk2017)
    if len(folded) <= 2:
        # Kazakh particles ("be", "me", "da") are English words too; Russian prepositions ("v",
        # "na", "iz") are not, but for a few ("on", "no", "so", "my").
        return (0, 1) if folded in _RU_LATIN and word not in _ENGLISH_SHORT else (0, 0)
    if folded in _KK_LATIN:
        return 1, 0
    if folded in _RU_LATIN:
        return 0, 1
    if _KK_ENDING.search(folded):
        return KAZAKH_ENDING, 0
    if _RU_TRANSLIT_ENDING.search(folded):
        return 0, RUSSIAN_ENDING
    return 0, 0


def detect_language(norm: Normalized) -> LanguageGuess:
    text = _strip_links(norm.text)
    words = _WORD.findall(text)
    kk2017 = is_kazakh_2017(text)
    kk = ru = 0.0
    for word in words:
        if _CYRILLIC.search(word):
            k, r = _score_cyrillic(word if word.isalpha() else _APOSTROPHE.sub("", word))
        elif _LATIN.search(word):
            k, r = _score_latin(word, kk2017)
        else:
            continue
        kk += k
        ru += r
    script = _script(text)
    if kk == 0 and ru == 0:
        lang: Language = "ru" if script == "cyrillic" and len(words) >= 1 else "other"
    elif min(kk, ru) >= 1.5 and min(kk, ru) / max(kk, ru) >= 0.3:
        lang = "mixed"
    else:
        lang = "kk" if kk > ru else "ru"
    return LanguageGuess(lang=lang, script=script, kk_score=kk, ru_score=ru)
