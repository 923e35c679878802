"""What to try when a search or a question finds nothing (Russian and English).

Search finds nothing below its floors (nonsense words, a question nothing answers), so
the bot says so and suggests what could work instead.
"""

from __future__ import annotations

from concierge.contracts.identity import Language

SEARCH_HINTS = {
    Language.RU: (
        "Что можно попробовать:\n"
        "• другие или более общие слова: «велосипед» вместо точной модели;\n"
        "• проверить написание;\n"
        "• спросить целиком: «сколько стоит аренда в Сочи?», «как добраться до Красной Поляны?»"
    ),
    Language.EN: (
        "What you could try:\n"
        "• other or broader words: “bike” rather than an exact model;\n"
        "• checking the spelling;\n"
        "• asking a whole question: “how much is a flat in Sochi?”, “how do I get to the airport?”"
    ),
}
ANSWER_HINTS = {
    Language.RU: (
        "Я отвечаю только по постам, статьям и объявлениям, которые собрал. Попробуйте:\n"
        "• спросить о том, что в них бывает: цены, расписания, новости, объявления;\n"
        "• /search <i>слова</i> — посмотреть, что нашлось по теме."
    ),
    Language.EN: (
        "I answer only from the posts, articles and listings I collect. You could:\n"
        "• ask about what they cover: prices, timetables, news, listings;\n"
        "• use /search <i>words</i> to see what there is on the subject."
    ),
}


def search_hints(language: Language) -> str:
    return SEARCH_HINTS[language]


def answer_hints(language: Language) -> str:
    return ANSWER_HINTS[language]
