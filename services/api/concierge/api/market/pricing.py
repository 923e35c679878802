"""The currency a new listing gets when its seller does not say: the one of its city when
the city is a known one, else that of the seller's last listing, else their language's.
An English speaker in Berlin gets euros, not roubles."""

from __future__ import annotations

from concierge.contracts.identity import Language
from concierge.contracts.market import Currency


def _cities(currency: Currency, names: str) -> dict[str, Currency]:
    return {name.strip().casefold(): currency for name in names.split(",") if name.strip()}


# Cities people sell in most, as they are written in Russian, English and locally.
CITY_CURRENCIES: dict[str, Currency] = {
    **_cities(
        Currency.RUB,
        """Москва, Moscow, Moskva, Санкт-Петербург, Петербург, Питер, СПб, Saint Petersburg,
        St Petersburg, St. Petersburg, Новосибирск, Novosibirsk, Екатеринбург, Yekaterinburg,
        Казань, Kazan, Нижний Новгород, Nizhny Novgorod, Челябинск, Chelyabinsk, Самара,
        Samara, Омск, Omsk, Ростов-на-Дону, Rostov-on-Don, Уфа, Ufa, Красноярск, Krasnoyarsk,
        Воронеж, Voronezh, Пермь, Perm, Волгоград, Volgograd, Краснодар, Krasnodar, Сочи,
        Sochi, Калининград, Kaliningrad, Тюмень, Tyumen, Владивосток, Vladivostok, Ярославль,
        Yaroslavl, Иркутск, Irkutsk, Хабаровск, Khabarovsk, Тула, Tula, Саратов, Saratov""",
    ),
    **_cities(
        Currency.EUR,
        """Берлин, Berlin, Мюнхен, Munich, München, Гамбург, Hamburg, Франкфурт, Frankfurt,
        Кёльн, Кельн, Cologne, Köln, Дюссельдорф, Düsseldorf, Dusseldorf, Штутгарт, Stuttgart,
        Лейпциг, Leipzig, Дрезден, Dresden, Париж, Paris, Марсель, Marseille, Лион, Lyon,
        Ницца, Nice, Мадрид, Madrid, Барселона, Barcelona, Валенсия, Valencia, Рим, Rome,
        Roma, Милан, Milan, Milano, Вена, Vienna, Wien, Амстердам, Amsterdam, Роттердам,
        Rotterdam, Брюссель, Brussels, Лиссабон, Lisbon, Lisboa, Порту, Porto, Дублин,
        Dublin, Хельсинки, Helsinki, Рига, Riga, Таллин, Таллинн, Tallinn, Вильнюс,
        Vilnius, Афины, Athens, Лимассол, Limassol, Никосия, Nicosia, Ларнака, Larnaca,
        Пафос, Paphos, Любляна, Ljubljana, Братислава, Bratislava, Загреб, Zagreb, Будва,
        Budva, Подгорица, Podgorica, Тиват, Tivat, Бар, Bar, Херцег-Нови, Herceg Novi""",
    ),
    **_cities(
        Currency.USD,
        """Нью-Йорк, New York, NYC, Лос-Анджелес, Los Angeles, Сан-Франциско, San Francisco,
        Чикаго, Chicago, Майами, Miami, Бостон, Boston, Сиэтл, Seattle, Вашингтон,
        Washington, Остин, Austin, Хьюстон, Houston, Даллас, Dallas, Лас-Вегас, Las Vegas,
        Сан-Диего, San Diego, Денвер, Denver, Атланта, Atlanta, Филадельфия, Philadelphia""",
    ),
}

# Languages whose speakers mostly pay in one currency (Telegram's language_code).
LANGUAGE_CURRENCIES: dict[str, Currency] = {
    **dict.fromkeys(("ru", "be", "kk"), Currency.RUB),
    **dict.fromkeys(
        ("de", "fr", "es", "it", "nl", "pt", "fi", "el", "et", "lv", "lt", "sk", "sl", "ga"),
        Currency.EUR,
    ),
}


def currency_of_city(city: str | None) -> Currency | None:
    if not city:
        return None
    return CITY_CURRENCIES.get(" ".join(city.split()).casefold())


def currency_of_language(language_code: str | None, language: Language | None) -> Currency:
    """The user's chosen language first (Russian: roubles), then their Telegram's;
    English and anything unknown: dollars."""
    if language == Language.RU:
        return Currency.RUB
    code = (language_code or "").lower().replace("_", "-")
    base = code.split("-", 1)[0]
    if language is None and base in LANGUAGE_CURRENCIES:
        return LANGUAGE_CURRENCIES[base]
    if code in ("en-ie", "en-mt"):
        return Currency.EUR
    return Currency.USD


def suggested_currency(
    city: str | None,
    last_listing_currency: str | None,
    language_code: str | None,
    language: Language | None,
) -> Currency:
    """The city's currency, else the seller's last listing's, else their language's."""
    return (
        currency_of_city(city)
        or (Currency(last_listing_currency) if last_listing_currency else None)
        or currency_of_language(language_code, language)
    )
