"""Kazakh in every script folds to one form and is recognised as Kazakh.

People in Kazakhstan write the same Kazakh sentence in Cyrillic, in Cyrillic with Russian
look-alikes (no Kazakh keyboard), in the Latin alphabets of 2017 (apostrophes), 2018 (acutes, used
by the Latin editions of news and official sites) and 2021 (diacritics), and in informal Latin. A
scam script must match the knowledge base whichever of them it came in, so ``normalize().folded``
must be the same for all of them; Russian, in Cyrillic or in Latin transliteration, must stay
Russian. The sentences are written for these tests (typical fraud and everyday lines); the
official spellings follow the alphabets' letter tables (the table at the bottom).
"""

import re
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.classifier.language import detect_language
from bot.classifier.normalize import fold, is_kazakh_2017, normalize


class Spellings(NamedTuple):
    cyrillic: str
    lookalikes: str  # Cyrillic with ә→а, і→и, қ→к … (a Russian keyboard)
    latin_2017: str
    latin_2018: str
    latin_2021: str
    informal: str


SENTENCES = [
    Spellings(
        'Сізге ұтыс түсті, сілтемеге өтіңіз',
        'Сизге утыс тусти, силтемеге отиниз',
        "Sizge utys tu'sti, siltemege o'tin'iz",
        'Sizge utys tústi, siltemege ótińiz',
        'Sızge ūtys tüstı, sıltemege ötıñız',
        'Sizge utys tusti, siltemege otiniz',
    ),
    Spellings(
        'Кодты ешкімге айтпаңыз',
        'Кодты ешкимге айтпаныз',
        "Kodty es'kimge ai'tpan'yz",
        'Kodty eshkimge aıtpańyz',
        'Kodty eşkımge aitpañyz',
        'Kodty eshkimge aitpanyz',
    ),
    Spellings(
        'Ақшаны қауіпсіз шотқа аударыңыз',
        'Акшаны кауипсиз шотка аударыныз',
        "Aqs'any qay'ipsiz s'otqa ay'daryn'yz",
        'Aqshany qaýipsiz shotqa aýdaryńyz',
        'Aqşany qauıpsız şotqa audaryñyz',
        'Akshany kauipsiz shotka audarynyz',
    ),
    Spellings(
        'Қалайсың, бауырым? Қарызға 20 мың беріп тұршы',
        'Калайсын, бауырым? Карызга 20 мын берип туршы',
        "Qalai'syn', bay'yrym? Qaryzg'a 20 myn' berip turs'y",
        'Qalaısyń, baýyrym? Qaryzǵa 20 myń berip turshy',
        'Qalaisyñ, bauyrym? Qaryzğa 20 myñ berıp tūrşy',
        'Qalaisyng, bauyrym? Qaryzga 20 myng berip turshy',
    ),
    Spellings(
        'Сәлеметсіз бе, сіз банктің қауіпсіздік қызметімен сөйлесіп тұрсыз',
        'Салеметсиз бе, сиз банктин кауипсиздик кызметимен сойлесип турсыз',
        "Sa'lemetsiz be, siz banktin' qay'ipsizdik qyzmetimen so'i'lesip tursyz",
        'Sálemetsiz be, siz banktiń qaýipsizdik qyzmetimen sóılesip tursyz',
        'Sälemetsız be, sız banktıñ qauıpsızdık qyzmetımen söilesıp tūrsyz',
        'Salemetsiz be, siz banktin kauipsizdik kyzmetimen soilesip tursyz',
    ),
    Spellings(
        'Картаңызға күмәнді төлем жасалды, SMS-тегі кодты айтыңыз',
        'Картанызга куманди толем жасалды, SMS-теги кодты айтыныз',
        "Kartan'yzg'a ku'ma'ndi to'lem jasaldy, SMS-tegi kodty ai'tyn'yz",
        'Kartańyzǵa kúmándi tólem jasaldy, SMS-tegi kodty aıtyńyz',
        'Kartañyzğa kümändı tölem jasaldy, SMS-tegı kodty aityñyz',
        'Kartanyzga kumandi tolem zhasaldy, SMS-tegi kodty aitynyz',
    ),
    Spellings(
        'Мама, телефоным бұзылды, осы нөмірге ақша жіберші',
        'Мама, телефоным бузылды, осы номирге акша жиберши',
        "Mama, telefonym buzyldy, osy no'mirge aqs'a jibers'i",
        'Mama, telefonym buzyldy, osy nómirge aqsha jibershi',
        'Mama, telefonym būzyldy, osy nömırge aqşa jıberşı',
        'Mama, telefonym buzyldy, osy nomirge aksha zhibershi',
    ),
    Spellings(
        'Үйден жұмыс, күніне 50 000 теңге табыс, тәжірибе керек емес',
        'Уйден жумыс, кунине 50 000 тенге табыс, тажирибе керек емес',
        "U'i'den jumys, ku'nine 50 000 ten'ge tabys, ta'jiri'be kerek emes",
        'Úıden jumys, kúnine 50 000 teńge tabys, tájirıbe kerek emes',
        'Üiden jūmys, künıne 50 000 teñge tabys, täjıribe kerek emes',
        'Uiden zhumys, kunine 50 000 tenge tabys, tazhiribe kerek emes',
    ),
    Spellings(
        'Сіздің атыңызға несие рәсімделуде, тоқтату үшін операторға хабарласыңыз',
        'Сиздин атынызга несие расимделуде, токтату ушин операторга хабарласыныз',
        "Sizdin' atyn'yzg'a nesi'e ra'simdely'de, toqtaty' u's'in operatorg'a habarlasyn'yz",
        'Sizdiń atyńyzǵa nesıe rásimdelýde, toqtatý úshin operatorǵa habarlasyńyz',
        'Sızdıñ atyñyzğa nesie räsımdelude, toqtatu üşın operatorğa habarlasyñyz',
        'Sizdin atynyzga nesie rasimdelwde, toktatw ushin operatorga xabarlasynyz',
    ),
    Spellings(
        'Сәлем, бүгін кешке үйге келесің бе?',
        'Салем, бугин кешке уйге келесин бе?',
        "Sa'lem, bu'gin kes'ke u'i'ge kelesin' be?",
        'Sálem, búgin keshke úıge kelesiń be?',
        'Sälem, bügın keşke üige kelesıñ be?',
        'Salem, bugin keshke uige kelesin be?',
    ),
    Spellings(
        'Посылкаңыз кеденде тұр, жеткізу үшін 2000 теңге төлеңіз',
        'Посылканыз кеденде тур, жеткизу ушин 2000 тенге толениз',
        "Posylkan'yz kedende tur, jetkizy' u's'in 2000 ten'ge to'len'iz",
        'Posylkańyz kedende tur, jetkizý úshin 2000 teńge tóleńiz',
        'Posylkañyz kedende tūr, jetkızu üşın 2000 teñge töleñız',
        'Posylkanyz kedende tur, zhetkizu ushin 2000 tenge tolengiz',
    ),
    Spellings(
        'Апа, мен ғой, жаңа нөмірім, кейін түсіндіремін',
        'Апа, мен гой, жана номирим, кейин тусиндиремин',
        "Apa, men g'oi', jan'a no'mirim, kei'in tu'sindiremin",
        'Apa, men ǵoı, jańa nómirim, keıin túsindiremin',
        'Apa, men ğoi, jaña nömırım, keiın tüsındıremın',
        'Apa, men goi, zhana nomirim, keyin tusindiremin',
    ),
]
LATIN = ("latin_2017", "latin_2018", "latin_2021", "informal")
CASES = [pytest.param(s, field, id=f"{i}-{field}") for i, s in enumerate(SENTENCES)
         for field in ("lookalikes", *LATIN)]


def trigram_jaccard(a: str, b: str) -> float:
    grams = [{f" {s} "[i : i + 3] for i in range(len(s))} for s in (" ".join(a.split()), " ".join(b.split()))]
    return len(grams[0] & grams[1]) / len(grams[0] | grams[1])


@pytest.mark.parametrize(("sentence", "spelling"), CASES)
def test_every_spelling_of_a_kazakh_sentence_folds_exactly_to_its_cyrillic_form(sentence, spelling):
    assert normalize(getattr(sentence, spelling)).folded == normalize(sentence.cyrillic).folded


@pytest.mark.parametrize(
    ("cyrillic", "typed", "why"),
    [
        ("Сәлеметсіз бе, сіз банктің қауіпсіздік қызметімен сөйлесіп тұрсыз",
         "Salemetsizbe, siz bankting kauipsizdik kyzmetimen soilesip tursiz",
         "the question particle typed onto the word"),
        ("Сіздің атыңызға несие рәсімделуде, тоқтату үшін операторға хабарласыңыз",
         "Sizdin atynyzga nesie rasimdelude, toktatu uwin operatorga habarlasynyz",
         "w typed for ш, which elsewhere stands for у"),
    ],
)
def test_spellings_that_cannot_fold_exactly_still_share_their_character_trigrams(cyrillic, typed, why):
    folded, target = normalize(typed).folded, normalize(cyrillic).folded
    assert folded != target, f"folds exactly now ({why}): move it to SENTENCES"
    assert trigram_jaccard(folded, target) >= 0.9, why


@pytest.mark.parametrize(("sentence", "spelling"), [
    pytest.param(s, field, id=f"{i}-{field}") for i, s in enumerate(SENTENCES) for field in ("cyrillic", *LATIN)])
def test_kazakh_is_detected_as_kazakh_in_every_alphabet(sentence, spelling):
    text = getattr(sentence, spelling)
    guess = detect_language(normalize(text))
    assert guess.lang == "kk", (text, guess)
    if spelling == "cyrillic":
        assert guess.script == ("mixed" if re.search("[A-Za-z]", text) else "cyrillic")
    else:
        assert guess.script == "latin"


# Russian lines, each in Cyrillic and in the Latin transliteration people type.
RUSSIAN = [
    ("Привет, скинь код из смс", "privet, skin kod iz sms"),
    ("Здравствуйте, вас беспокоит служба безопасности банка", "Zdravstvuite, vas bespokoit sluzhba bezopasnosti banka"),
    ("Мама, я попал в аварию, срочно нужны деньги", "Mama, ya popal v avariyu, srochno nuzhny den'gi"),
    ("Скажите код из SMS, это для отмены операции", "Skazhite kod iz SMS, eto dlya otmeny operatsii"),
    ("Мне звонили из банка и сказали, что карту заблокировали",
     "Mne zvonili iz banka i skazali, chto kartu zablokirovali"),
    ("Привет, как дела? Что делаешь сегодня вечером?", "Privet, kak dela? Chto delaesh segodnya vecherom?"),
    ("Посмотрите календарь и условия тендера", "Posmotrite kalendar' i usloviya tendera"),  # "-ндар", "-ндер"
]


@pytest.mark.parametrize(("cyrillic", "translit"), RUSSIAN)
def test_russian_stays_russian_in_cyrillic_and_in_latin_transliteration(cyrillic, translit):
    for text, script in ((cyrillic, "cyrillic"), (translit, "latin")):
        guess = detect_language(normalize(text))
        assert guess.lang == "ru", (text, guess)
        assert guess.script in (script, "mixed")


@pytest.mark.parametrize(("cyrillic", "translit"), RUSSIAN)
def test_russian_transliteration_folds_exactly_to_russian_cyrillic(cyrillic, translit):
    assert normalize(translit).folded == normalize(cyrillic).folded


@pytest.mark.parametrize(
    "text",
    ["Call me back, it may be urgent", "The men at the bar took a shot", "Your parcel is waiting at the post office",
     "I'm at Kaspi's office, don't worry"],
)
def test_english_is_not_taken_for_kazakh(text):
    assert detect_language(normalize(text)).lang != "kk"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm at Kaspi's office, don't worry", False),  # English contractions
        ("Privet! Mozhesh' zanyat' den'gi do zavtra?", False),  # Russian soft signs, after consonants
        ("Sa'lem! Qalai'syn'?", True),  # Kazakh: a', i', n'
        ("Kodty es'kimge ai'tpan'yz", True),
    ],
)
def test_the_2017_apostrophe_alphabet_is_told_from_english_and_russian_apostrophes(text, expected):
    assert is_kazakh_2017(normalize(text).text) is expected


def test_a_russian_soft_sign_apostrophe_is_not_read_as_the_2017_sh():
    assert normalize("pis'mo").folded == normalize("письмо").folded
    assert normalize("Kodty es'kimge ai'tpan'yz").folded == normalize("Кодты ешкімге айтпаңыз").folded


@pytest.mark.parametrize(
    ("raw", "word", "quoted"),
    [
        ("Aqs'any qay'ipsiz s'otqa ay'daryn'yz", "шотка", "s'otqa"),
        ("Aqshany qaýipsiz shotqa aýdaryńyz", "аудариниз", "aýdaryńyz"),
        ("Qalaisyng, bauyrym? Qaryzga 20 myng berip turshy", "калаисин", "Qalaisyng"),
        ("Мама, я попал в аварию, срочно нужны деньги", "иа попал в аварииу", "я попал в аварию"),
        ("Skazhite kod iz SMS", "скажите", "Skazhite"),
    ],
)
def test_a_span_of_the_folded_form_quotes_the_users_own_words(raw, word, quoted):
    norm = normalize(raw)
    start = norm.folded.index(word)
    assert norm.quote(start, start + len(word), folded=True) == quoted


# Each Kazakh letter: its fold, then its spellings in 2017, 2018, 2021 and informal Latin.
# 2017 is the 2018 alphabet with an apostrophe for the acute, and s' c' for ш ч; 2018 writes
# и/й as "ı" (the decree's "í" also folds); 2021 writes і as "ı", ы as "y", и/й as "i".
LETTERS = [
    ("а", "а", ["a", "a", "a", "a"]),
    ("ә", "а", ["a'", "á", "ä", "a"]),
    ("б", "б", ["b", "b", "b", "b"]),
    ("в", "в", ["v", "v", "v", "v"]),
    ("г", "г", ["g", "g", "g", "g"]),
    ("ғ", "г", ["g'", "ǵ", "ğ", "gh"]),
    ("д", "д", ["d", "d", "d", "d"]),
    ("е", "е", ["e", "e", "e", "e"]),
    ("ж", "ж", ["j", "j", "j", "zh"]),
    ("з", "з", ["z", "z", "z", "z"]),
    ("и", "и", ["i'", "ı", "i", "i"]),
    ("й", "и", ["i'", "í", "i", "y"]),
    ("к", "к", ["k", "k", "k", "k"]),
    ("қ", "к", ["q", "q", "q", "k"]),
    ("л", "л", ["l", "l", "l", "l"]),
    ("м", "м", ["m", "m", "m", "m"]),
    ("н", "н", ["n", "n", "n", "n"]),
    ("ң", "н", ["n'", "ń", "ñ", "ng"]),
    ("о", "о", ["o", "o", "o", "o"]),
    ("ө", "о", ["o'", "ó", "ö", "o"]),
    ("п", "п", ["p", "p", "p", "p"]),
    ("р", "р", ["r", "r", "r", "r"]),
    ("с", "с", ["s", "s", "s", "s"]),
    ("т", "т", ["t", "t", "t", "t"]),
    ("у", "у", ["y'", "ý", "u", "w"]),
    ("ұ", "у", ["u", "u", "ū", "u"]),
    ("ү", "у", ["u'", "ú", "ü", "u"]),
    ("ф", "ф", ["f", "f", "f", "f"]),
    ("х", "х", ["h", "h", "h", "x"]),
    ("һ", "х", ["h", "h", "h", "h"]),
    ("ц", "тс", ["ts", "ts", "ts", "ts"]),
    ("ч", "ч", ["c'", "ch", "ch", "ch"]),
    ("ш", "ш", ["s'", "sh", "ş", "sh"]),
    ("щ", "шч", ["s'c'", "shch", "şç", "sch"]),
    ("ы", "и", ["y", "y", "y", "i"]),
    ("і", "и", ["i", "i", "ı", "i"]),
    ("э", "е", ["e", "e", "e", "e"]),
    ("ю", "иу", ["i'y'", "ıý", "iu", "yu"]),
    ("я", "иа", ["i'a", "ıa", "ia", "ya"]),
    ("ь", "", ["", "", "", "'"]),
    ("ъ", "", ["", "", "", ""]),
]


@pytest.mark.parametrize(
    ("letter", "folded", "spelling", "alphabet"),
    [pytest.param(letter, folded, spelling, alphabet, id=f"{letter}-{alphabet}-{spelling}")
     for letter, folded, spellings in LETTERS
     for alphabet, spelling in zip(("2017", "2018", "2021", "informal"), spellings)],
)
def test_each_kazakh_letter_folds_the_same_in_every_alphabet(letter, folded, spelling, alphabet):
    assert fold(letter) == folded
    assert fold(letter.upper().casefold()) == folded
    assert fold(spelling, kk2017=alphabet == "2017") == folded


_ALPHABET = "аәбвгғдеёжзиійкқлмнңоөпрстуұүфхһцчшщъыіьэюя" "abcdefghijklmnopqrstuvwxyz" "äáǵğńñóöúüūýıíşç" "'’ .,!?-0123456789"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET + _ALPHABET.upper(), max_size=80))
def test_the_folded_form_keeps_an_offset_into_the_original_for_every_character(raw):
    norm = normalize(raw)
    assert fold(norm.text) == norm.folded  # the word lists and FAQ phrases fold the same way
    assert len(norm.folded_offsets) == len(norm.folded)
    assert list(norm.folded_offsets) == sorted(norm.folded_offsets)
    assert all(0 <= offset < len(raw) for offset in norm.folded_offsets)
