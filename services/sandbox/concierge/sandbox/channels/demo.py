"""The demo channels of the MTProto stand-in: ten public channels on five clear topics
(tech, football, cooking, travel, finance), one Russian and one English channel each, a
few hundred posts in all, made from phrases written for the project with a fixed seed (the
same corpus every run). Every post carries its topic label, so the feed helper's
evaluation (bench/feed_eval.py) can read the corpus (``GET /sandbox/channels/corpus``).

Beside them: a private channel reachable by an invite link only, a user account and a
bot (refs that are not channels), albums, an edited and a deleted post, and a repost of one
channel's post in another (the same text: stored as a copy, not shown twice).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

TOPICS = ("tech", "football", "cooking", "travel", "finance")
POSTS_PER_CHANNEL = 34
START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)

# topic -> language -> (subjects, happenings, details, hashtags)
PHRASES: dict[str, dict[str, tuple[list[str], list[str], list[str], str]]] = {
    "tech": {
        "ru": (
            [
                "Новый смартфон Nokto X5",
                "Ноутбук на чипе ARM",
                "Релиз Linux 6.12",
                "Сервис облачного хранения",
                "Открытый фреймворк для Python",
                "Роутер с Wi-Fi 7",
                "Игровой процессор",
                "Фитнес-браслет с датчиком давления",
            ],
            [
                "вышел с неожиданной ценой",
                "получил крупное обновление прошивки",
                "прошёл наш тест автономности",
                "показал рекорд в бенчмарках",
                "получил исправление уязвимости",
                "подешевел к распродаже",
            ],
            [
                "Процессор греется меньше прошлого поколения, батарея держит два дня.",
                "Разработчики обещают поддержку обновлений пять лет.",
                "Мы сравнили скорость SSD и памяти: прирост около 20%.",
                "Уязвимость позволяла читать чужие файлы, патч уже доступен.",
                "В комплекте зарядка на 65 Вт и кабель USB-C.",
                "Исходный код опубликован на GitHub под лицензией MIT.",
            ],
            "#технологии #гаджеты",
        ),
        "en": (
            [
                "The Nokto X5 phone",
                "A new ARM laptop",
                "The Linux 6.12 kernel",
                "A cloud storage service",
                "An open-source Python library",
                "A Wi-Fi 7 router",
                "A gaming graphics card",
                "A smartwatch with blood pressure sensor",
            ],
            [
                "launched at a surprising price",
                "got a major firmware update",
                "passed our battery life test",
                "set a benchmark record",
                "patched a security vulnerability",
                "dropped in price for the sale",
            ],
            [
                "The processor runs cooler than last generation and the battery lasts two days.",
                "The developers promise five years of software updates.",
                "We measured SSD and memory speed: about 20% faster.",
                "The bug let apps read other users' files; the patch is out.",
                "A 65 W charger and a USB-C cable come in the box.",
                "The source code is on GitHub under the MIT license.",
            ],
            "#tech #gadgets",
        ),
    },
    "football": {
        "ru": (
            [
                "Спартак",
                "Зенит",
                "ЦСКА",
                "Локомотив",
                "Краснодар",
                "Ахмат",
                "Рубин",
                "Ростов",
            ],
            [
                "выиграл выездной матч со счётом 2:1",
                "сыграл вничью в дерби",
                "уступил в серии пенальти",
                "подписал нового нападающего",
                "уволил главного тренера",
                "вышел в полуфинал кубка",
            ],
            [
                "Решающий гол забили на 89-й минуте после углового.",
                "Вратарь отразил одиннадцатиметровый и стал героем матча.",
                "Трансфер обошёлся клубу в 12 миллионов евро.",
                "В следующем туре команда принимает лидера чемпионата.",
                "Болельщики заполнили стадион впервые за сезон.",
                "Защитник получил красную карточку в первом тайме.",
            ],
            "#футбол #РПЛ",
        ),
        "en": (
            [
                "Arsenal",
                "Liverpool",
                "Manchester City",
                "Chelsea",
                "Tottenham",
                "Newcastle",
                "England",
                "Aston Villa",
            ],
            [
                "won away 2-1",
                "drew the derby",
                "lost on penalties",
                "signed a new striker",
                "sacked their head coach",
                "reached the cup semi-final",
            ],
            [
                "The winner came in the 89th minute from a corner.",
                "The goalkeeper saved a penalty and was man of the match.",
                "The transfer fee was reported at 40 million pounds.",
                "Next weekend they host the league leaders.",
                "The stadium was sold out for the first time this season.",
                "A defender was sent off in the first half.",
            ],
            "#football #PremierLeague",
        ),
    },
    "cooking": {
        "ru": (
            [
                "Борщ",
                "Сырники",
                "Плов",
                "Шарлотка",
                "Паста карбонара",
                "Пельмени",
                "Греческий салат",
                "Солянка",
            ],
            [
                "по бабушкиному рецепту",
                "за 30 минут на ужин",
                "без лишних хлопот",
                "в духовке и на сковороде",
                "для всей семьи",
                "на праздничный стол",
            ],
            [
                "Обжарьте лук и морковь, добавьте свёклу и томатную пасту.",
                "Творог должен быть сухим, муки — не больше двух ложек.",
                "Рис промойте до прозрачной воды и не мешайте при варке.",
                "Яблоки нарежьте тонко, тесто взбейте до пышности.",
                "Соус из желтков и пармезана смешайте с горячей пастой вне огня.",
                "Подавайте со сметаной и свежей зеленью, посолите по вкусу.",
            ],
            "#рецепты #кухня",
        ),
        "en": (
            [
                "Banana bread",
                "Chicken curry",
                "Pancakes",
                "Tomato soup",
                "Pasta carbonara",
                "Roast vegetables",
                "Apple pie",
                "Beef stew",
            ],
            [
                "in 30 minutes for dinner",
                "like grandma made it",
                "with pantry staples",
                "in one pan",
                "for the whole family",
                "for a holiday table",
            ],
            [
                "Brown the onions slowly, then add garlic, ginger and spices.",
                "Whisk the batter until smooth and rest it for ten minutes.",
                "Roast at 200 °C until the edges caramelise.",
                "Mix egg yolks and parmesan into the hot pasta off the heat.",
                "Season with salt and pepper and finish with fresh herbs.",
                "Simmer for an hour until the meat is tender.",
            ],
            "#recipes #cooking",
        ),
    },
    "travel": {
        "ru": (
            [
                "Стамбул",
                "Калининград",
                "Алтай",
                "Ереван",
                "Казань",
                "Байкал",
                "Дагестан",
                "Тбилиси",
            ],
            [
                "на выходные без визы",
                "в низкий сезон",
                "на поезде и автобусе",
                "с палаткой и рюкзаком",
                "с детьми",
                "за 30 тысяч рублей",
            ],
            [
                "Билеты на самолёт дешевле всего брать за шесть недель до поездки.",
                "Гостиницу в центре можно найти от 3 000 ₽ за ночь.",
                "Обязательно попробуйте местную кухню и сходите на рынок.",
                "Маршрут по горам занимает два дня, нужен гид.",
                "Лучшее время для поездки — май и сентябрь.",
                "Паспорт и страховку держите в отдельной сумке.",
            ],
            "#путешествия #туризм",
        ),
        "en": (
            [
                "Lisbon",
                "Kyoto",
                "Iceland",
                "Tbilisi",
                "Vienna",
                "Patagonia",
                "Marrakech",
                "Scotland",
            ],
            [
                "on a weekend budget",
                "in the off season",
                "by train",
                "with a backpack and a tent",
                "with kids",
                "for under 800 dollars",
            ],
            [
                "Flights are cheapest about six weeks before departure.",
                "A central hotel starts at 70 euros a night.",
                "Try the local food market and a street food tour.",
                "The hiking route takes two days; book a guide.",
                "The best months to visit are May and September.",
                "Keep your passport and travel insurance in a separate bag.",
            ],
            "#travel #trip",
        ),
    },
    "finance": {
        "ru": (
            [
                "Рынок облигаций",
                "Курс рубля",
                "Индекс Мосбиржи",
                "Рынок вкладов",
                "Рост цен",
                "Биржевой фонд на золото",
                "Индекс потребительских цен",
                "Курс юаня",
            ],
            [
                "оказался в центре внимания",
                "заметно вырос за неделю",
                "упал после отчётов",
                "обновил годовой максимум",
                "снизился к концу квартала",
                "удивил аналитиков",
            ],
            [
                "Аналитики ждут снижения ставки к весне.",
                "Доходность вкладов на год — около 18% годовых.",
                "Дивиденды компания заплатит в июле.",
                "Инвесторам стоит держать подушку безопасности на шесть месяцев расходов.",
                "Налог на доход по вкладам платят с суммы выше необлагаемого лимита.",
                "Портфель лучше распределить между акциями и облигациями.",
            ],
            "#финансы #инвестиции",
        ),
        "en": (
            [
                "The Federal Reserve",
                "The dollar",
                "The S&P 500",
                "Savings rates",
                "Inflation",
                "Apple shares",
                "Treasury bonds",
                "Oil prices",
            ],
            [
                "drew attention",
                "rose sharply this week",
                "fell after earnings",
                "hit a yearly high",
                "slipped at quarter end",
                "surprised analysts",
            ],
            [
                "Analysts expect a rate cut by spring.",
                "One-year savings accounts pay about 4.5 percent.",
                "The dividend will be paid in July.",
                "Keep an emergency fund of six months of expenses.",
                "Interest above the allowance is taxed as income.",
                "Split the portfolio between index funds and bonds.",
            ],
            "#finance #investing",
        ),
    },
}

CHANNELS: dict[str, dict[str, tuple[str, str]]] = {  # topic -> language -> (username, title)
    "tech": {"ru": ("tech_pulse_ru", "Технопульс"), "en": ("byte_digest", "Byte Digest")},
    "football": {"ru": ("futbol_tribuna", "Трибуна"), "en": ("pitch_side", "Pitch Side")},
    "cooking": {"ru": ("kukhnya_doma", "Кухня дома"), "en": ("kitchen_notes", "Kitchen Notes")},
    "travel": {"ru": ("v_doroge", "В дороге"), "en": ("wander_lines", "Wander Lines")},
    "finance": {
        "ru": ("dengi_i_rynki", "Деньги и рынки"),
        "en": ("money_matters_daily", "Money Matters Daily"),
    },
}
PRIVATE_INVITE = "AbCdEfGhIjKlMnOp"
PRIVATE_TITLE = "Закрытый клуб"
USER_NAME = "demo_user"
BOT_NAME = "demo_helper_bot"


@dataclass
class DemoPost:
    text: str
    date: datetime
    media: list[str] = field(default_factory=list)  # one per message; several: an album
    topic: str | None = None
    language: str | None = None


def _post(rng: random.Random, topic: str, language: str, moment: datetime) -> DemoPost:
    subjects, happenings, details, tags = PHRASES[topic][language]
    first = f"{rng.choice(subjects)} {rng.choice(happenings)}."
    body = " ".join(rng.sample(details, k=rng.randint(1, 3)))
    return DemoPost(f"{first}\n\n{body}\n\n{tags}", moment, [], topic, language)


def demo_posts(topic: str, language: str, count: int = POSTS_PER_CHANNEL) -> list[DemoPost]:
    """One channel's posts, oldest first, the same every run."""
    rng = random.Random(f"{topic}:{language}")
    posts: list[DemoPost] = []
    seen: set[str] = set()
    moment = START
    while len(posts) < count:
        moment += timedelta(hours=rng.randint(3, 30))
        post = _post(rng, topic, language, moment)
        headline = post.text.split("\n", 1)[0]
        if headline in seen:  # one post per subject and happening: no near copies
            continue
        seen.add(headline)
        if rng.random() < 0.25:
            post.media = ["photo"]
        if rng.random() < 0.08:
            post.media = ["photo", "photo", "video"]  # an album
        posts.append(post)
    return posts


def corpus_entry(username: str, message_id: int, post: DemoPost) -> dict[str, Any]:
    return {
        "channel": username,
        "message_id": message_id,
        "topic": post.topic,
        "language": post.language,
        "text": post.text,
        "date": post.date.isoformat(),
    }
