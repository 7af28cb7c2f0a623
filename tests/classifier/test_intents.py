"""The intent reader: what a text sent to the bot is, before any fraud check (issue 12).

Kazakh and Russian side by side. Besides the texts quoted in the issue, most cases are new
wordings that are not knowledge examples (a test checks that), so they show what the model
learnt rather than what it was given.
"""

from __future__ import annotations

import shutil
import time

import pytest
import yaml

from bot.classifier.intents import LONG_TEXT, IntentGuess, IntentReader, is_emoji_only, loss_cue
from bot.classifier.normalize import normalize
from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.loader import DEFAULT_DIR

BANK = "bank_security_call"


@pytest.fixture(scope="module")
def reader(knowledge) -> IntentReader:
    return IntentReader(knowledge)


def _known(knowledge) -> set[str]:
    return {" ".join(ex.text.casefold().split()) for part in knowledge.intents for ex in part.examples}


# The texts quoted in the issue, each with the path it must take.
ISSUE_QUOTES = [
    # (text, previous, intent, paid / social)
    ("я перевела мошенникам 150 тыс на каспи голд что теперь делать", None, "paid", "money"),
    ("алаяққа 50 мың аударып жібердім не істеймін", None, "paid", "money"),
    ("деньги ушли что делать", None, "paid", "money"),
    ("я ему еще не говорила код", BANK, "followup", None),
    ("ал енди не истеймиз", BANK, "followup", None),
    ("а если он опять позвонит что делать", BANK, "followup", None),
    ("номер полиции какой", None, "question", None),
    ("kaida habarlasu kerek", None, "question", None),
    ("какой номер у каспи банка", None, "question", None),
    ("у меня взломали ватсап что делать", None, "question", None),
    ("ватсабымды бұзып алды не істеймін", None, "question", None),
    ("привет", None, "greeting", "hello"),
    ("рахмет", None, "greeting", "thanks"),
    ("👍", None, "greeting", "emoji"),
]


@pytest.mark.parametrize(("text", "previous", "intent", "detail"), ISSUE_QUOTES)
def test_each_text_quoted_in_the_issue_gets_its_intent(reader, text, previous, intent, detail):
    guess = reader.read(text, previous)
    assert guess.intent == intent
    assert (guess.paid if intent == "paid" else guess.social if intent == "greeting" else None) == detail


# New wordings, kk and ru in pairs, none of them a knowledge example.
UNSEEN = [
    ("message", "Құрметті клиент! Бонустарыңыз ертең жанып кетеді. Сақтап қалу үшін: bonus-kaspi.shop", None),
    ("message", "Уважаемый клиент! Ваши бонусы сгорят завтра. Сохранить: bonus-kaspi.shop", None),
    ("story", "кеше кешке біреу хабарласып, Forte банктен боламыз, шотыңызды біреу ашқысы келеді деді", None),
    ("story", "вчера вечером позвонили, сказали что из Форте банка и кто-то пытается открыть мой счет", None),
    ("paid", "әжем оларға зейнетақысының бәрін аударып жіберіпті", None),
    ("paid", "бабушка перевела им всю пенсию", None),
    ("question", "алаяқтық туралы арызды қайда жазамын", None),
    ("question", "куда написать заявление о мошенничестве", None),
    ("followup", "ал егер ертең тағы хабарласса ше", BANK),
    ("followup", "а если завтра снова позвонит", BANK),
    ("greeting", "Сәлеметсіз бе, қайырлы күн", None),
    ("greeting", "Здравствуйте, хорошего дня", None),
    ("other", "маған кешкі асқа рецепт айтшы", None),
    ("other", "подскажи рецепт на ужин", None),
]


def test_the_new_wordings_below_are_not_knowledge_examples(knowledge):
    known = _known(knowledge)
    assert not [text for _, text, _ in UNSEEN if " ".join(text.casefold().split()) in known]


@pytest.mark.parametrize(("intent", "text", "previous"), UNSEEN)
def test_a_new_wording_gets_its_intent_in_both_languages(reader, intent, text, previous):
    assert reader.read(text, previous).intent == intent


@pytest.mark.parametrize(("text", "alone"), [
    ("мен әлі ештеңе айтқан жоқпын", ("other", "question")),
    ("я пока ничего не сказала", ("other", "question")),
    ("енді не істеймін", ("question", "other")),
    ("и что теперь", ("question", "other")),
])
def test_a_follow_up_can_only_be_told_from_a_previous_verdict(reader, text, alone):
    assert reader.read(text, BANK).intent == "followup"
    assert reader.read(text, "benign").intent == "followup"
    assert reader.read(text, None).intent in alone


@pytest.mark.parametrize(("text", "kind"), [
    ("я уже назвала ему код из смс", "code"),
    ("мен оған смстегі кодты айтып қойдым", "code"),
    ("я уже перевела ему деньги", "money"),
    ("мен оған ақшаны аударып жібердім", "money"),
])
def test_something_already_given_away_is_paid_even_right_after_a_verdict(reader, text, kind):
    guess = reader.read(text, BANK)
    assert (guess.intent, guess.paid) == ("paid", kind)


@pytest.mark.parametrize(("text", "kind"), [
    ("күйеуім алаяқтарға 70 мың салып жіберді", "money"),
    ("муж скинул мошенникам 70 тысяч", "money"),
    ("келген сандарды оған айтып бердім", "code"),
    ("продиктовала ему цифры из сообщения", "code"),
    ("олардың бағдарламасын телефоныма жүктеп алдым", "app"),
    ("скачала их программу на телефон", "app"),
    ("картаның нөмірін және артындағы кодты жазып жібердім", "card"),
    ("написала им номер карты и код с обратной стороны", "card"),
])
def test_each_kind_of_loss_is_told_apart(reader, text, kind):
    guess = reader.read(text, None)
    assert (guess.intent, guess.paid) == ("paid", kind)


@pytest.mark.parametrize(("spellings", "intent"), [
    # Cyrillic, 2018 Latin (acutes), 2021 Latin (diacritics), informal Latin
    (["алаяқтарға ақша аударып жібердім", "alaıaqtarǵa aqsha aýdaryp jiberdim",
      "alaiaqtarğa aqşa audaryp jıberdım", "alayaktarga aksha audaryp jiberdim"], "paid"),
    (["полицияның нөмірі қандай", "polısııanyń nómiri qandaı", "polisiianyñ nömırı qandai",
      "policiyanyn nomiri qandai"], "question"),
    (["сәлеметсіз бе", "sálemetsiz be", "sälemetsız be", "salemetsiz be"], "greeting"),
])
def test_kazakh_in_latin_letters_reads_like_cyrillic(reader, spellings, intent):
    assert [reader.read(text, None).intent for text in spellings] == [intent] * len(spellings)


@pytest.mark.parametrize("text", ["привет", "сәлем", "деньги ушли что делать", "ақша кетті не істеймін"])
def test_a_forwarded_message_is_always_a_message_to_check(reader, text):
    assert reader.read(text, None, forwarded=True).intent == "message"
    assert reader.read(text, BANK, forwarded=True).intent == "message"


@pytest.mark.parametrize(("text", "emoji"), [("👍", True), ("🙏🏻 🙏🏻", True), ("❤️", True), ("👨‍👩‍👧", True),
                                              ("...", False), ("👍 ok", False), ("", False), ("12", False)])
def test_emoji_alone_is_told_from_punctuation_and_words(text, emoji):
    assert is_emoji_only(text) is emoji


@pytest.mark.parametrize("text", ["🙏🏻", "👍👍👍"])
def test_emoji_alone_is_a_greeting_even_after_a_verdict(reader, text):
    assert reader.read(text, BANK) == IntentGuess("greeting", None, "emoji", reader.read(text, None).confidence)


@pytest.mark.parametrize("text", [".....", "???", "   "])
def test_no_words_at_all_is_other(reader, text):
    assert reader.read(text, None).intent == "other"


@pytest.mark.parametrize(("text", "intent"), [
    ("у меня взломали телеграм, что делать", "question"),
    ("телеграмымды бұзып алды, не істеу керек", "question"),
])
def test_a_hacked_account_is_a_question_for_help_not_the_paid_path(reader, text, intent):
    assert reader.read(text, None).intent == intent


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_long_scam_script_is_a_message(reader, lang):
    text = {
        "kk": "Сәлеметсіз бе! Сізді Kaspi банктің қауіпсіздік қызметі мазалап тұр. Сіздің картаңыздан "
              "Шымкент қаласында 180 000 теңгеге күдікті аударым жасалуда. Егер бұл сіз болмасаңыз, "
              "операцияны тоқтату үшін телефоныңызға келген кодты айтыңыз. Қоңырауды қоймаңыз, "
              "әйтпесе ақшаңыз кетеді. Бұл әңгімені ешкімге айтпаңыз.",
        "ru": "Здравствуйте! Вас беспокоит служба безопасности Kaspi банка. С вашей карты сейчас "
              "проводится подозрительный перевод 180 000 тенге в Шымкент. Если это не вы, для отмены "
              "операции продиктуйте код, который пришёл на ваш телефон. Не кладите трубку, иначе "
              "деньги уйдут. Никому не рассказывайте об этом разговоре.",
    }[lang]
    assert len(text) > LONG_TEXT
    assert reader.read(text, None).intent == "message"
    assert reader.read(text, BANK).intent == "message"


def test_a_guess_carries_a_kind_only_for_paid_and_a_courtesy_only_for_greeting(reader, knowledge):
    texts = [ex.text for part in knowledge.intents for ex in part.examples][::7]
    for text in texts:
        for previous in (None, BANK):
            guess = reader.read(text, previous)
            assert 0.0 <= guess.confidence <= 1.0
            assert (guess.paid is not None) == (guess.intent == "paid")
            assert (guess.social is not None) == (guess.intent == "greeting")
            assert previous is not None or guess.intent != "followup"
            assert type(guess.intent) is str


def test_reading_a_text_costs_well_under_a_millisecond(reader, knowledge):
    texts = [ex.text for part in knowledge.intents for ex in part.examples][:300]
    texts += [ex.text for ex in knowledge.schemes[BANK].examples]  # longer pasted texts too
    start = time.process_time()
    for text in texts:
        reader.read(text, None)
    assert (time.process_time() - start) / len(texts) < 0.001


def test_building_the_reader_takes_under_two_seconds(knowledge):
    start = time.process_time()
    IntentReader(knowledge)
    assert time.process_time() - start < 2.0


def test_every_intent_has_forty_examples_in_kazakh_and_in_russian(knowledge):
    for intent in ("message", "story", "paid", "question", "followup", "greeting", "other"):
        examples = [ex for part in knowledge.intents if part.intent == intent for ex in part.examples]
        assert sum(ex.lang == "kk" for ex in examples) >= 40, intent
        assert sum(ex.lang == "ru" for ex in examples) >= 40, intent
    paid = [ex for part in knowledge.intents if part.intent == "paid" for ex in part.examples]
    assert {ex.paid for ex in paid} == {"money", "code", "app", "card"}
    latin = [ex for part in knowledge.intents for ex in part.examples if ex.lang == "kk_latn"]
    assert any(ch in ex.text for ex in latin for ch in "áǵńóúý")  # 2018 alphabet
    assert any(ch in ex.text for ex in latin for ch in "äğñöşūü")  # 2021 alphabet


def _broken_copy(tmp_path, edit) -> str:
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, root)
    path = root / "intents" / "paid.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(root)


def test_a_paid_example_without_its_kind_is_refused_with_the_file_named(tmp_path):
    root = _broken_copy(tmp_path, lambda d: d["examples"][0].pop("paid"))
    with pytest.raises(KnowledgeError, match=r"intents/paid\.yaml.*`paid`"):
        load_knowledge(root)


def test_too_few_examples_of_an_intent_are_refused_saying_how_many(tmp_path):
    root = _broken_copy(tmp_path, lambda d: d.update(examples=[e for e in d["examples"] if e["lang"] != "ru"]))
    with pytest.raises(KnowledgeError, match=r"paid has 0 'ru' examples"):
        load_knowledge(root)


def test_a_follow_up_to_an_unknown_scheme_is_refused(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, root)
    path = root / "intents" / "followup.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("previous: bank_security_call", "previous: bank_call", 1),
                    encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"unknown scheme 'bank_call'"):
        load_knowledge(root)


def test_a_wall_of_text_costs_little_more_than_its_first_lines(reader, knowledge):
    wall = " ".join(ex.text for ex in knowledge.schemes[BANK].examples)[:4096]
    start = time.process_time()
    for _ in range(10):
        guess = reader.read(wall, None)
    assert (time.process_time() - start) / 10 < 0.005
    assert guess.intent == "message"


def test_two_starts_build_the_same_model(reader, knowledge):
    again = IntentReader(knowledge)
    texts = [ex.text for part in knowledge.intents for ex in part.examples][::5]
    assert [again.read(t, BANK) for t in texts] == [reader.read(t, BANK) for t in texts]


@pytest.mark.parametrize("text", ["он требовал цифры из смс, но я промолчала", "ол смстегі сандарды сұрады, мен айтпадым"])
def test_a_refusal_is_a_story_alone_and_a_follow_up_right_after_a_verdict(reader, text):
    assert reader.read(text, None).intent == "story"
    assert reader.read(text, BANK).intent == "followup"


# "They said X, I did Y": what the fraudster said comes first, and the n-gram model, which has
# seen many stories open that way, reads the loss at the end as a story. The teller's own verb
# ("төледім", "я оплатил") decides it.
@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "кеше бір жігіт ұтыс шықты деді, салығын төледім"),
    ("kk", "жұмыс береміз деді, депозит ретінде 10 мың салдым"),
    ("kk", "Kaspıden dep zvondady, baǵdarlama ornattym"),  # 2018 Latin
    ("kk", "Tanysqan qyz jetkızu üşın aldyn ala töle dedı, 15 myñ audardym"),  # 2021 Latin
    ("ru", "сказали, что я выиграл телевизор, за доставку и налог я оплатил 12 тысяч"),
    ("ru", "женщина сказала что мне положена выплата, попросила код, я сказала"),
    ("ru", "звонили якобы с почты, попросили код, я ввела его на их сайте"),
])
def test_a_loss_told_after_what_the_fraudster_said_is_paid(reader, lang, text):
    guess = reader.read(text, None)
    assert guess.intent == "paid", (lang, guess)
    assert guess.tentative  # the classifier still decides between the urgent steps and a story


@pytest.mark.parametrize("spelling", [
    "банктен деп хабарласты, кодты айтып қойдым",  # Cyrillic
    "bankten dep habarlasty, kodty aıtyp qoıdym",  # 2018 Latin, acutes
    "bankten dep habarlastı, kodtı aytıp qoydım",  # 2021 Latin
    "bank'ten dep xabarlasty, kodty ai'typ qoi'dym",  # 2017 apostrophes
    "bankten dep habarlasty kodty aityp koidym",  # informal Latin
    "банктен деп хабарласты, CVV-ды айтып қойдым",  # what was told in Latin letters
])
def test_a_told_code_is_a_loss_in_every_kazakh_spelling(spelling):
    assert loss_cue(normalize(spelling).folded)


# The completive "-ып қойыпты" (found out afterwards: "mum has already told it") folds to
# "...коиипти": the cue once looked for "коипти" alone, which only a typed "qoipty" gives, and
# missed it in every other spelling. "Digits" is a code too: "төрт санды айтып бердім",
# "продиктовала цифры".
@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "анама банктен деп звондап код сұрапты, ол айтып қойыпты"),  # Cyrillic
    ("kk", "anama bankten dep zvondap kod surapty, ol aıtyp qoıypty"),  # 2018 Latin, acutes
    ("kk", "anama bankten dep zvondap kod sūraptı, ol aitıp qoiyptı"),  # 2021 Latin
    ("kk", "anama zvondap kod surapty ol aityp qoiypty qazir ne isteimiz"),  # informal Latin
    ("kk", "apam kodty aityp qoipty"),  # informal Latin, the "ы" dropped
    ("kk", "әкем оларға 50 мың аударып қойыпты"),
    ("kk", "eGov-тан деп хабарласты, телефонға келген төрт санды айтып бердім"),
    ("ru", "звонили из егова, я продиктовала им цифры из смс"),
    ("ru", "я взяла кредит сама в приложении и перевела всё на их счёт"),  # the teller's second act
])
def test_a_relatives_completed_loss_and_told_digits_are_losses(reader, lang, text):
    assert loss_cue(normalize(text).folded), lang
    assert reader.read(text, None).intent == "paid", lang


@pytest.mark.parametrize(("text", "loss"), [
    ("я уже перевела им 40 тысяч", True),
    ("я взяла кредит и перевела им всё", True),
    ("я зашла по ссылке из смс и ввела данные карты", True),  # the second act, any verb
    ("я подумала и не продиктовала", False),
    ("я подумала и не перевела", False),  # denied
    ("он взял кредит и перевёл", False),  # someone else's act
    ("я сказала ему, и он перевёл", False),
    ("оплатил налог на выигрыш, 20 тысяч", True),  # the pronoun dropped, as people type
    ("мать перевела им 40 тысяч", True),  # a close relative's loss ("мать" folds to "мат")
    ("тёща сегодня отдала курьеру 100 тысяч", True),
    ("он перевёл мне долг", False),  # someone else's act, for the teller
    ("материал перевёл на казахский", False),
    ("я им сказала CVV", True),  # "CVV" folds to "свв"
])
def test_a_russian_loss_is_the_tellers_or_a_relatives_own_act(text, loss):
    assert loss_cue(normalize(text).folded) is loss


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "ол кодты сұрады, мен жоқ деп айттым"),  # "I said no"
    ("kk", "банктен деп хабарласты, тастай салдым"),  # "I hung up at once": салдым as an auxiliary
    ("kk", "кодты сұрады, бірақ айтпадым"),
    ("kk", "Сізге қателесіп 5 мың аудардым, қайтарып жіберіңізші"),  # the mistaken-transfer script itself
    ("ru", "просили код, я сказала, что перезвоню в банк сама"),
    ("ru", "просили перевести за доставку, но я не перевела"),
    ("ru", "Я вам ошибочно перевела 5000, верните пожалуйста"),
    ("ru", "просили показать экран, но я не включила демонстрацию"),
])
def test_what_only_sounds_like_a_loss_is_not_read_as_paid(reader, lang, text):
    assert not loss_cue(normalize(text).folded)
    assert reader.read(text, None).intent != "paid", lang
