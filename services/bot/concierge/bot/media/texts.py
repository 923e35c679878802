"""The media desk's texts, Russian and English (plain text: release titles and the
model's words are data, so these messages use no parse mode)."""

from __future__ import annotations

from concierge.contracts.identity import Language

MEDIA: dict[Language, dict[str, str]] = {
    Language.EN: {
        "intro": (
            '🎬 Media mode: tell me what to find ("find Arrival in 1080p"), and I search '
            "your own indexers and offer a release. Nothing is added until you press Add.\n"
            "/media off leaves this mode."
        ),
        "intro_no_llm": (
            "🎬 Media: search by buttons. Tap Search, send a title, pick it, then a release."
        ),
        "search": "🔎 Search",
        "prefs": "⚙️ Preferences",
        "connect_indexer": "🔌 Indexer",
        "connect_seedbox": "🧲 Seedbox",
        "leave": "✖️ Leave",
        "left": "Media mode is off.",
        "ask_title": "Send the title of a film or series.",
        "no_titles": "Nothing found for that title.",
        "pick_title": "Which one?",
        "no_releases": "Your indexers have no release of it.",
        "proposal": "{title}\n{size} · {quality} · seeders: {seeders} · {indexer}",
        "add": "➕ Add",
        "other": "🔁 Other options",
        "cancel": "✖️ Cancel",
        "added": "✅ Added to your seedbox: {name}\nI will tell you when it is done.",
        "magnet": "🧲 You have no seedbox connected. The magnet link:\n{magnet}",
        "cancelled": "Cancelled.",
        "gone": "This offer has expired. Search again.",
        "refused": "❌ {reason}",
        "unavailable": "The media desk cannot be reached now. Try again in a minute.",
        "turn_failed": "⚠️ I could not finish that: {reason}",
        "ask_quality": "Which quality do you prefer?",
        "any_quality": "any",
        "ask_audio": "Which audio language first?",
        "ask_notify": "Tell you when a download is done?",
        "yes": "Yes",
        "no": "No",
        "prefs_saved": (
            "✅ Saved: {quality}, audio {audio}, genres: {genres}, notifications {notify}."
        ),
        "ask_indexer_url": (
            "Send your Torznab indexer's address (Jackett or Prowlarr, e.g. "
            "http://jackett.example.com:9117/api/v2.0/indexers/all/results/torznab). "
            "/cancel stops."
        ),
        "ask_indexer_key": (
            "Now its API key. I delete that message at once and store the key encrypted."
        ),
        "indexer_added": "✅ Indexer connected.",
        "ask_seedbox_kind": "Which seedbox?",
        "ask_seedbox_where": "Where is it?",
        "lan": "🏠 On my home network",
        "internet": "🌐 On the internet",
        "ask_seedbox_url": "Send its web address, e.g. http://seedbox.example.com:9091",
        "ask_seedbox_user": "The user name (send - if there is none).",
        "ask_seedbox_password": (
            "The password. I delete that message at once and store it encrypted."
        ),
        "seedbox_added": "✅ Seedbox connected ({version}).",
        "checking": "Checking the connection…",
        "bad_url": "That is not an http(s):// address. Send it again or /cancel.",
        "dialog_cancelled": "Cancelled: nothing saved.",
        "recommend": "✨ Recommend for me",
        "history": "📜 Watched",
        "ask_genres": "Which genres do you like? Tap to tick, then Done.",
        "genres_done": "Done ✓",
        "watched": "👁 Watched ✓",
        "ask_rating": "How would you rate {title}? (1 — bad, 10 — superb)",
        "rated": "✅ Rated: {title} — {rating}/10. Your recommendations take it into account.",
        "recommended": "✨ For you:",
        "because": "because you liked {titles}",
        "in_genres": "popular in your genres",
        "popular": "popular now",
        "no_recommendations": (
            "Nothing to recommend yet: rate a few titles you watched (👁 Watched ✓)."
        ),
        "no_history": "You have not marked anything watched yet.",
        "history_title": "📜 What you watched:",
        "not_rated": "not rated",
        "title_gone": "I do not know that title any more: find it again (🔎 Search).",
        "genres_gone": "That choice has expired: open ⚙️ Preferences again.",
    },
    Language.RU: {
        "intro": (
            "🎬 Режим медиа: скажите, что найти («найди Прибытие в 1080p»), я поищу в ваших "
            "индексаторах и предложу раздачу. Ничего не добавляется, пока вы не нажмёте "
            "«Добавить».\n/media off — выйти из режима."
        ),
        "intro_no_llm": (
            "🎬 Медиа: поиск кнопками. Нажмите «Поиск», пришлите название, выберите фильм, "
            "затем раздачу."
        ),
        "search": "🔎 Поиск",
        "prefs": "⚙️ Предпочтения",
        "connect_indexer": "🔌 Индексатор",
        "connect_seedbox": "🧲 Сидбокс",
        "leave": "✖️ Выйти",
        "left": "Режим медиа выключен.",
        "ask_title": "Пришлите название фильма или сериала.",
        "no_titles": "По этому названию ничего не нашлось.",
        "pick_title": "Какой именно?",
        "no_releases": "В ваших индексаторах нет раздач этого.",
        "proposal": "{title}\n{size} · {quality} · сидов: {seeders} · {indexer}",
        "add": "➕ Добавить",
        "other": "🔁 Другие варианты",
        "cancel": "✖️ Отмена",
        "added": "✅ Добавлено на сидбокс: {name}\nСообщу, когда скачается.",
        "magnet": "🧲 Сидбокс не подключён. Magnet-ссылка:\n{magnet}",
        "cancelled": "Отменено.",
        "gone": "Это предложение устарело. Поищите снова.",
        "refused": "❌ {reason}",
        "unavailable": "Медиа сейчас недоступно. Попробуйте через минуту.",
        "turn_failed": "⚠️ Не получилось: {reason}",
        "ask_quality": "Какое качество предпочитаете?",
        "any_quality": "любое",
        "ask_audio": "Какая озвучка в первую очередь?",
        "ask_notify": "Сообщать, когда загрузка закончится?",
        "yes": "Да",
        "no": "Нет",
        "prefs_saved": (
            "✅ Сохранено: {quality}, озвучка {audio}, жанры: {genres}, уведомления: {notify}."
        ),
        "ask_indexer_url": (
            "Пришлите адрес вашего Torznab-индексатора (Jackett или Prowlarr, например "
            "http://jackett.example.com:9117/api/v2.0/indexers/all/results/torznab). "
            "/cancel — отмена."
        ),
        "ask_indexer_key": (
            "Теперь его API-ключ. Сообщение я сразу удалю, ключ сохраню зашифрованным."
        ),
        "indexer_added": "✅ Индексатор подключён.",
        "ask_seedbox_kind": "Какой сидбокс?",
        "ask_seedbox_where": "Где он?",
        "lan": "🏠 В домашней сети",
        "internet": "🌐 В интернете",
        "ask_seedbox_url": "Пришлите его веб-адрес, например http://seedbox.example.com:9091",
        "ask_seedbox_user": "Имя пользователя (пришлите -, если его нет).",
        "ask_seedbox_password": "Пароль. Сообщение я сразу удалю, пароль сохраню зашифрованным.",
        "seedbox_added": "✅ Сидбокс подключён ({version}).",
        "checking": "Проверяю подключение…",
        "bad_url": "Это не адрес http(s)://. Пришлите ещё раз или /cancel.",
        "dialog_cancelled": "Отменено: ничего не сохранено.",
        "recommend": "✨ Посоветуй",
        "history": "📜 Просмотренное",
        "ask_genres": "Какие жанры вам нравятся? Отметьте и нажмите «Готово».",
        "genres_done": "Готово ✓",
        "watched": "👁 Смотрел ✓",
        "ask_rating": "Как оцените «{title}»? (1 — плохо, 10 — отлично)",
        "rated": "✅ Оценка: {title} — {rating}/10. Рекомендации её учтут.",
        "recommended": "✨ Вам может понравиться:",
        "because": "потому что вам понравилось: {titles}",
        "in_genres": "популярное в ваших жанрах",
        "popular": "популярное сейчас",
        "no_recommendations": (
            "Пока нечего посоветовать: оцените несколько просмотренных фильмов (👁 Смотрел ✓)."
        ),
        "no_history": "Вы ещё ничего не отметили просмотренным.",
        "history_title": "📜 Что вы смотрели:",
        "not_rated": "без оценки",
        "title_gone": "Я больше не помню этот фильм: найдите его снова (🔎 Поиск).",
        "genres_gone": "Этот выбор устарел: откройте ⚙️ Предпочтения снова.",
    },
}


def media_text(language: Language, key: str, **values: str) -> str:
    template = MEDIA[language][key]
    return template.format(**values) if values else template
