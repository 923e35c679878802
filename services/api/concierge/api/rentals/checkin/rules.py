"""Check-in time and date from a guest's message by rules (Russian and English).

The message is lower-cased (ё → е) and scanned for clock times — digits ("15:30",
"3pm", "18.00", "14-00", "в 15 ч"), words ("около трёх часов дня", "в половине
седьмого", "half past six", "quarter to eight", "noon") — and for dates ("завтра",
"в пятницу", "15 мая", "May 15th", "15.05"). Each mention is labelled by the nearest
keyword in its sentence (the one before it first): arrival ("приедем", "be there"),
departure ("выезд", "we leave", "check out") or transport ("самолёт садится", "flight
lands"). The last arrival time wins (guests correct themselves), else the last time
with no keyword; departure and transport times are never the check-in. A time without
"am/pm", "утра/вечера" of 1–7 is taken as afternoon (13–19): nobody checks in at 3 am
unless they say so ("в 3 ночи"); 8–11 is the morning unless the message speaks of the
evening or being late. "через 2 часа" / "in an hour" count from ``received_at``. A period
alone ("вечером", "after lunch") gives no time, with a low confidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

Kind = Literal["arrival", "departure", "transport", "neutral"]

CONFIDENCE_EXACT = 0.9  # a clock time next to an arrival word
CONFIDENCE_NEUTRAL = 0.7  # a clock time with no keyword around it
CONFIDENCE_APPROX = 0.8  # "около", "around", a range
CONFIDENCE_DATE_ONLY = 0.5
CONFIDENCE_PERIOD = 0.3

ARRIVAL = (
    r"приед\w*|приезд\w*|прибуд\w*|прибыт\w*|подъед\w*|подъезд\w*|доед\w*|добер\w*|"
    r"заед\w*|заезд\w*|засел\w*|заселит\w*|будем|буду|будут|будет у|буду у|появ\w*|"
    r"прийти|придем|приду|зайд\w*|у вас|к вам|"
    r"arriv\w*|check[- ]?in\w*|checking in|get there|get to|getting (?:there|to|in)|"
    r"be there|be at|be with|be in|at yours|reach\w*|come|coming|show up|eta|"
    r"we'?ll be|will be|i'?ll be|should be|expect\w* to be|pull up|drop by|arrival"
)
DEPARTURE = (
    r"выезд\w*|выед\w*|высел\w*|уед\w*|уех\w*|уезжа\w*|освобод\w*|съед\w*|"
    r"check[- ]?out\w*|leav\w*|depart\w*|head(?:ing)? (?:off|home|out)"
)
TRANSPORT = (
    r"самол\w*|рейс\w*|поезд\w*|электричк\w*|автобус\w*|прилет\w*|прилет|сад\w*ся|"
    r"садимся|приземл\w*|прибывает|вылет\w*|flight|plane|train|bus|lands?|landing|"
    r"touch(?:es)? down|takes? off"
)
_KEYWORDS = re.compile(
    rf"(?P<transport>\b(?:{TRANSPORT})\b)|(?P<departure>\b(?:{DEPARTURE})\b)|"
    rf"(?P<arrival>\b(?:{ARRIVAL})\b)"
)

RU_HOURS = {
    "час": 1, "одного": 1, "один": 1, "два": 2, "двух": 2, "три": 3, "трех": 3,
    "четыре": 4, "четырех": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7,
    "семи": 7, "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9, "десять": 10,
    "десяти": 10, "одиннадцать": 11, "одиннадцати": 11, "двенадцать": 12, "двенадцати": 12,
}  # fmt: skip
RU_ORDINAL = {
    "первого": 1, "второго": 2, "третьего": 3, "четвертого": 4, "пятого": 5, "шестого": 6,
    "седьмого": 7, "восьмого": 8, "девятого": 9, "десятого": 10, "одиннадцатого": 11,
    "двенадцатого": 12,
}  # fmt: skip
EN_HOURS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
RU_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip
EN_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
RU_WEEKDAYS = {
    "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятницу": 4,
    "пятница": 4, "субботу": 5, "суббота": 5, "воскресенье": 6,
}  # fmt: skip
EN_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip

# Parts of the day: how they move an hour (None: a period alone, no clock time).
PM_WORDS = r"дня|вечера|pm|p\.m\.?|в обед|in the (?:afternoon|evening)|tonight|this evening"
AM_WORDS = r"утра|am|a\.m\.?|in the morning|this morning"
NIGHT_WORDS = r"ночи|at night"
PERIODS = re.compile(
    r"\b(?:вечером|утром|днем|ночью|после обеда|к вечеру|ближе к вечеру|до обеда|в обед|"
    r"во второй половине дня|в первой половине дня|после работы|поздно|рано|"
    r"in the (?:evening|morning|afternoon)|after lunch|before lunch|around lunch|"
    r"tonight|late|early|after work|midday)\b"
)

_RU_HOUR = "|".join(sorted(RU_HOURS, key=len, reverse=True))
_RU_ORD = "|".join(sorted(RU_ORDINAL, key=len, reverse=True))
_EN_HOUR = "|".join(sorted(EN_HOURS, key=len, reverse=True))
_H = r"(?:[01]?\d|2[0-3])"
_SUFFIX = rf"(?P<suffix>\s*(?:{PM_WORDS}|{AM_WORDS}|{NIGHT_WORDS})\b)?"
_APPROX = r"(?:около|примерно|где-?то|ориентировочно|приблизительно|around|about|approx\w*|~)"
_PREP = (
    r"(?:в|во|к|ко|до|после|с|около|примерно|между|в районе|at|by|around|about|after|before|"
    r"till|until|between|from|make it|~|@)"
)

# what follows a number that is not an hour: people, nights, money, days of a month
_NOT_AN_HOUR = (
    r"человек|дет|реб|взросл|собак|кош|adult|kid|child|чел|гост|ноч|сут|дн|руб|р\b|₽|\$|"
    r"евро|people|guest|night|day|min|мин|%|th\b|st\b|nd\b|rd\b|-?го\b|числ|мая|июн|июл|"
    r"авг|сент|окт|нояб|дек|янв|фев|мар|апр"
)
TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("noon", re.compile(r"\b(?:полдень|полудню|noon|midday)\b")),
    ("midnight", re.compile(r"\b(?:полночь|полуночи|midnight)\b")),
    # в половине седьмого, пол седьмого, полседьмого
    ("half_ru", re.compile(rf"(?:в\s+)?(?:половин[еау]|пол)\s*-?\s*(?P<ord>{_RU_ORD})\b{_SUFFIX}")),
    # без пятнадцати восемь, без четверти восемь, без 15 восемь
    ("to_ru", re.compile(
        rf"\bбез\s+(?P<min>четверти|пятнадцати|десяти|пяти|двадцати|\d{{1,2}})(?:\s+минут)?\s+"
        rf"(?P<hw>{_RU_HOUR}|\d{{1,2}})\b{_SUFFIX}")),
    # half past six, quarter to eight, quarter past 3, ten to five
    ("past_en", re.compile(
        rf"\b(?P<min>half|quarter|ten|twenty|five|\d{{1,2}})\s+(?P<dir>past|to|after)\s+"
        rf"(?P<hw>{_EN_HOUR}|\d{{1,2}})\b{_SUFFIX}")),
    # 5-6pm, 15-16 часов: the first hour of the range
    ("range", re.compile(
        rf"(?<![\d.:/-])(?P<h>{_H})\s*-\s*(?P<h2>{_H})(?![\d:.])\s*(?P<unit>часов|часа|ч\b\.?|h\b)?"
        rf"{_SUFFIX}")),
    # 15:30, 3:30pm, 18.00, 14-00, 15ч30
    ("clock", re.compile(
        rf"(?<![\d.:/-])(?P<h>{_H})(?P<sep>\s?[:.]\s?|-|ч\.?\s?|h|\s)(?P<m>[0-5]\d)(?![\d:/]|\.\d)"
        rf"(?:\s*(?:мин\w*|min\w*))?{_SUFFIX}")),
    # 3pm, 3 p.m., 15h, 15ч, 15 часов, 3 o'clock, в 3 дня
    ("hour_unit", re.compile(
        rf"(?<![\d.:/-])(?P<h>{_H})\s*(?P<unit>o'?clock|часа|часов|час|ч\b\.?|h\b|hrs?\b|pm\b|p\.m\.?|"
        rf"am\b|a\.m\.?|утра|дня|вечера|ночи)(?P<suffix>\s*(?:{PM_WORDS}|{AM_WORDS}|{NIGHT_WORDS})\b)?")),
    # трёх часов дня, three o'clock, в шесть вечера, at six
    ("word_hour", re.compile(
        rf"(?:\b{_PREP}\s+)?(?:{_APPROX}\s+)?\b(?P<hw>{_RU_HOUR}|{_EN_HOUR})\b"
        rf"(?P<unit>\s*(?:часа|часов|часу|o'?clock))?{_SUFFIX}")),
    # 8ish, 5ish
    ("ish", re.compile(rf"(?<![\d.:/-])(?P<h>{_H})\s?-?ish\b")),
    # в 15, к 18, at 3, by 4
    ("bare_hour", re.compile(
        rf"(?:\b|(?<=@))(?P<prep>{_PREP})\s*(?:{_APPROX}\s+)?(?P<h>{_H})(?!\d)"
        rf"(?![:.,]\d|\s*(?:{_NOT_AN_HOUR}))")),
]  # fmt: skip
# "через 2 часа", "через полчаса", "in an hour", "in 40 minutes": from received_at
_WHILE_UNIT = r"(?P<unit>час\w*|hours?|hrs?|минут\w*|мин\b|minutes?|mins?)"
_IN_A_WHILE = re.compile(
    rf"\b(?:(?:через|in)\s+(?:(?:about|around|примерно|где-?то)\s+)?"
    r"(?:(?P<n>\d{1,3}|пару|a couple of|an?|one|two|three|half an?)\s+)?"
    rf"(?:(?P<half>полчаса|полтора часа)|{_WHILE_UNIT})"
    r"|(?P<n2>\d{1,3})\s+(?P<unit2>minutes?|mins?|hours?)\s+away"
    r"|(?P<unit3>минут|часа|часов)\s+через\s+(?P<n3>\d{1,3}|пару))"
    r"(?!\s+(?:после|after)\b)"
)
_COUNTS = {"пару": 2, "a couple of": 2, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_EVENING = re.compile(r"\b(?:вечер\w*|поздно|поздн\w*|evening|tonight|late|night)\b")
_RANGE_TAIL = re.compile(r"^\s*(?:-|–|—|или|or|to|до|and|и)\s*(?:\d{1,2}|[а-яa-z]+)")
_APPROX_BEFORE = re.compile(rf"{_APPROX}\s*(?:в\s+|к\s+|at\s+)?$")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: Kind


@dataclass(frozen=True)
class TimeMention(Mention):
    hour: int
    minute: int
    approx: bool


@dataclass(frozen=True)
class DateMention(Mention):
    value: date


@dataclass(frozen=True)
class RulesResult:
    check_in_time: str | None
    date: str | None
    confidence: float


def normalize(text: str) -> str:
    text = text.lower().replace("ё", "е").replace("’", "'").replace("`", "'")
    text = re.sub(r"[‐-―−]", "-", text)
    # common typos of the words that carry dates
    for wrong, right in (("завтро", "завтра"), ("зафтра", "завтра"), ("tommorow", "tomorrow"),
                         ("tomorow", "tomorrow"), ("tommorrow", "tomorrow"),
                         ("послезавтро", "послезавтра"), ("пятницк", "пятницу")):  # fmt: skip
        text = text.replace(wrong, right)
    return text


def _hour_word(word: str) -> int:
    return RU_HOURS.get(word) or EN_HOURS.get(word) or int(word)


def _with_part_of_day(hour: int, suffix: str | None, default_pm: bool = True) -> int:
    part = (suffix or "").strip()
    if part and re.fullmatch(PM_WORDS, part):
        return hour + 12 if hour < 12 else hour
    if part and re.fullmatch(AM_WORDS, part):
        return 0 if hour == 12 else hour
    if part and re.fullmatch(NIGHT_WORDS, part):
        return hour if hour <= 5 else (0 if hour == 12 else hour + 12)
    if default_pm and 1 <= hour <= 7:
        return hour + 12
    return hour


def _minutes_word(word: str) -> int:
    named = {"half": 30, "quarter": 15, "ten": 10, "twenty": 20, "five": 5, "четверти": 15,
             "пятнадцати": 15, "десяти": 10, "пяти": 5, "двадцати": 20}  # fmt: skip
    return named[word] if word in named else int(word)


def _read_time(name: str, match: re.Match[str]) -> tuple[int, int] | None:
    groups = match.groupdict()
    suffix = groups.get("suffix")
    if name == "noon":
        return 12, 0
    if name == "midnight":
        return 0, 0
    if name == "half_ru":
        hour = RU_ORDINAL[groups["ord"]] - 1
        return _with_part_of_day(hour if hour else 12, suffix) % 24, 30
    if name == "to_ru":
        hour = _hour_word(groups["hw"]) - 1
        minute = 60 - _minutes_word(groups["min"])
        return _with_part_of_day(hour if hour else 12, suffix) % 24, minute
    if name == "past_en":
        hour, minute = _hour_word(groups["hw"]), _minutes_word(groups["min"])
        if groups["dir"] == "to":
            hour, minute = hour - 1 if hour > 1 else 12, 60 - minute
        return _with_part_of_day(hour, suffix) % 24, minute % 60
    if name == "clock":
        hour, minute = int(groups["h"]), int(groups["m"])
        sep = groups["sep"].strip()
        before = match.string[max(0, match.start() - 12) : match.start()]
        prep = re.search(rf"\b{_PREP}\s*$", before)
        if sep == "." and 1 <= minute <= 12 and hour <= 31 and not prep:
            return None  # 15.05: a date rather than a time
        if not sep and (minute % 5 or not prep):
            return None  # "в 14 30" is a time; "2 30" alone is not
        if sep == "-" and minute <= 24 and minute > hour and minute % 15:
            return None  # 15-17: a range of hours, read by the bare-hour rule
        return _with_part_of_day(hour, suffix, default_pm=False), minute
    if name == "hour_unit":
        hour = int(groups["h"])
        before = match.string[max(0, match.start() - 6) : match.start()]
        if re.search(r"\b(?:на|за|for|через|in)\s*$", before):
            return None  # "на 2 ночи": a length of stay; "через 2 часа": a while
        unit = groups["unit"].strip()
        part = unit if not re.fullmatch(r"o'?clock|часа|часов|час|ч\.?|h|hrs?", unit) else suffix
        if part is None and unit in ("часа", "часов", "час") and hour > 12:
            return hour, 0
        return _with_part_of_day(hour, part) % 24, 0
    if name == "word_hour":
        # a word alone is a number, not a time: it needs an o'clock, a part of the day or
        # a preposition ("в три", "at six")
        if not (groups.get("unit") or suffix or re.match(rf"{_PREP}\s", match[0])):
            return None
        return _with_part_of_day(_hour_word(groups["hw"]), suffix) % 24, 0
    if name in ("bare_hour", "ish"):
        return _with_part_of_day(int(groups["h"]), None), 0
    if name == "range":
        hour, last = int(groups["h"]), int(groups["h2"])
        if not (groups.get("unit") or suffix) or not 0 < last - hour <= 3:
            return None
        part = suffix if suffix else None
        if part and hour < 12 and re.fullmatch(PM_WORDS, part.strip()) and last <= 12:
            return hour + 12, 0
        return _with_part_of_day(hour, part), 0
    return None  # pragma: no cover


_SENTENCE_END = re.compile(r"[!?;\n]|\.(?!\d)")


class Context:
    """The keywords of a message and its sentences, to label a mention by the nearest
    keyword in its sentence: the one before it first, else the one after it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.keywords = _keywords(text)
        self.keyword_starts = [k[0] for k in self.keywords]
        self.keyword_ends = [k[1] for k in self.keywords]
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)]

    def kind_at(self, start: int, end: int) -> Kind:
        i = bisect_right(self.sentence_ends, start - 1)
        sentence_start = self.sentence_ends[i - 1] + 1 if i else 0
        j = bisect_left(self.sentence_ends, end)
        sentence_end = self.sentence_ends[j] if j < len(self.sentence_ends) else len(self.text)
        before = bisect_right(self.keyword_ends, start) - 1
        if before >= 0 and self.keywords[before][0] >= sentence_start:
            return self.keywords[before][2]
        after = bisect_left(self.keyword_starts, end)
        if after < len(self.keywords) and self.keywords[after][1] <= sentence_end:
            return self.keywords[after][2]
        return "neutral"


def _keywords(text: str) -> list[tuple[int, int, Kind]]:
    found: list[tuple[int, int, Kind]] = []
    for match in _KEYWORDS.finditer(text):
        kind = match.lastgroup
        assert kind in ("arrival", "departure", "transport")
        if (
            kind == "arrival"
            and found
            and found[-1][2] == "transport"
            and re.fullmatch(r"[^\d.,!?;\n]{0,20}", text[found[-1][1] : match.start()])
        ):
            kind = "transport"  # "the train arrives": the train's, not the guest's
        found.append((match.start(), match.end(), kind))  # type: ignore[arg-type]
    return found


def _in_a_while(context: Context, received_at: datetime) -> tuple[TimeMention, date] | None:
    """The last "через 2 часа" / "in an hour" of an arrival: a time from received_at."""
    found: tuple[TimeMention, date] | None = None
    for match in _IN_A_WHILE.finditer(context.text):
        n = match["n"] or match["n2"] or match["n3"]
        half, unit = match["half"], match["unit"] or match["unit2"] or match["unit3"]
        hours = bool(unit) and unit.startswith(("час", "hour", "hr"))
        if half:
            minutes = 30 if half == "полчаса" else 90
        elif n and n.startswith("half"):
            minutes = 30 if hours else 0
        else:
            count = int(n) if n and n.isdigit() else _COUNTS.get(n or "", 1)
            minutes = count * 60 if hours else count
        kind = context.kind_at(match.start(), match.end())
        if 0 < minutes <= 24 * 60 and kind in ("arrival", "neutral"):
            try:
                at = received_at + timedelta(minutes=minutes)
            except OverflowError:
                continue
            mention = TimeMention(match.start(), match.end(), kind, at.hour, at.minute, True)
            found = (mention, at.date())
    return found


def _second_of_range(text: str, first: TimeMention, mention: TimeMention) -> bool:
    """ "15 и 16", "3-4", "с 14 до 15": the second hour of a range the first one opens."""
    if first.kind != "neutral" and mention.kind != first.kind:
        return False
    gap = text[first.end : mention.start]
    if re.fullmatch(r"\s*(?:-|–|—|или|or|to|до|and|и)\s*(?:в\s+|at\s+)?", gap):
        return True
    joined = re.match(r"(?:до|to|and|и|или|or|till|until)\s", text[mention.start : mention.end])
    return not gap.strip() and joined is not None


def find_times(context: Context) -> list[TimeMention]:
    text = context.text
    taken: list[tuple[int, int]] = []
    mentions: list[TimeMention] = []
    for name, pattern in TIME_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            value = _read_time(name, match)
            if value is None:
                continue
            hour, minute = value
            if not (0 <= hour <= 23 and 0 <= minute <= 59):
                continue
            taken.append((start, end))
            approx = bool(
                _APPROX_BEFORE.search(text[max(0, start - 24) : start])
                or re.match(_APPROX, match[0])
                or _RANGE_TAIL.match(text[end : end + 12])
            )
            if (
                8 <= hour <= 11
                and not match.groupdict().get("suffix")
                and _EVENING.search(text[max(0, start - 40) : end + 40])
            ):
                hour += 12  # "поздно вечером, часов в 11", "running late… at 9:15"
            kind = context.kind_at(start, end)
            mentions.append(TimeMention(start, end, kind, hour, minute, approx))
    # the second hour of a range ("между 15 и 16", "3-4pm") is not a time of its own
    mentions.sort(key=lambda m: m.start)
    kept: list[TimeMention] = []
    for mention in mentions:
        if kept and _second_of_range(text, kept[-1], mention):
            continue
        kept.append(mention)
    return kept


_DATE_WORDS = re.compile(
    r"\b(?P<rel>послезавтра|завтра|сегодня|day after tomorrow|tomorrow|today|tonight)\b|"
    r"\b(?:в|во|on|this|next|в эту|в эти|в этот|в следующ\w+)?\s*(?P<wd>"
    + "|".join(list(RU_WEEKDAYS) + list(EN_WEEKDAYS))
    + r")\b|"
    r"\b(?P<d1>[0-3]?\d)(?:-?го|-?е)?\s+(?P<ruM>январ\w*|феврал\w*|марта?|апрел\w*|мая|июн\w*|"
    r"июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*)|"
    r"\b(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<enM1>jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|"
    r"jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)\b|"
    r"\b(?P<enM2>jan\w*|feb\w*|march|apr\w*|may|june?|july?|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)"
    r"\s+(?P<d3>[0-3]?\d)(?:st|nd|rd|th)?\b|"
    r"(?<![\d:.])(?P<d4>[0-3]?\d)[./](?P<m4>[01]?\d)(?:[./](?P<y4>(?:20)?\d\d))?(?![\d:])|"
    r"\b(?P<d5>[0-3]?\d)(?:st|nd|rd|th|-?го)\b(?!\s*(?:этаж|floor))"
)


def _month(word: str, table: dict[str, int]) -> int | None:
    for stem, number in sorted(table.items(), key=lambda item: -len(item[0])):
        if word.startswith(stem):
            return number
    return None


def _resolve(day: int, month: int, year: int | None, today: date) -> date | None:
    try:
        if year is not None:
            return date(year if year > 100 else 2000 + year, month, day)
        value = date(today.year, month, day)
        if value < today - timedelta(days=1):
            value = date(today.year + 1, month, day)
        return value
    except ValueError:
        return None


def _read_date(match: re.Match[str], today: date) -> date | None:
    g = match.groupdict()
    if g["rel"]:
        shift = {"послезавтра": 2, "day after tomorrow": 2, "завтра": 1, "tomorrow": 1}
        return today + timedelta(days=shift.get(g["rel"], 0))
    if g["wd"]:
        weekday = RU_WEEKDAYS.get(g["wd"], EN_WEEKDAYS.get(g["wd"], 0))
        ahead = (weekday - today.weekday()) % 7
        if "next" in match[0] and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    if g["d1"]:
        month = _month(g["ruM"], RU_MONTHS)
        return _resolve(int(g["d1"]), month, None, today) if month else None
    if g["d2"] or g["d3"]:
        month = _month(g["enM1"] or g["enM2"], EN_MONTHS)
        day = int(g["d2"] or g["d3"])
        return _resolve(day, month, None, today) if month else None
    if g["d4"]:
        year = int(g["y4"]) if g["y4"] else None
        return _resolve(int(g["d4"]), int(g["m4"]), year, today)
    if g["d5"]:
        day = int(g["d5"])
        value = _resolve(day, today.month, None, today)
        if value is not None and value < today:
            month = today.month % 12 + 1
            value = _resolve(day, month, today.year + (month == 1), today)
        return value
    return None  # pragma: no cover


def find_dates(context: Context, today: date, times: list[TimeMention]) -> list[DateMention]:
    text = context.text
    found: list[DateMention] = []
    for match in _DATE_WORDS.finditer(text):
        start, end = match.span()
        if any(t.start <= start < t.end for t in times):
            continue
        try:
            value = _read_date(match, today)
        except OverflowError:  # "tomorrow" of 9999-12-31
            continue
        if value is not None:
            found.append(DateMention(start, end, context.kind_at(start, end), value))
    return found


def _choose_time(times: list[TimeMention]) -> TimeMention | None:
    arrivals = [t for t in times if t.kind == "arrival"]
    if arrivals:
        return arrivals[-1]
    neutral = [t for t in times if t.kind == "neutral"]
    return neutral[-1] if neutral else None


def _choose_date(dates: list[DateMention], chosen: TimeMention | None, text: str) -> date | None:
    usable = [d for d in dates if d.kind in ("arrival", "neutral")]
    if chosen is not None:
        # a date in the chosen time's sentence, nearest to it
        same = [d for d in dates if d.kind != "departure" and not _SENTENCE_END.search(
            text[min(d.end, chosen.end) : max(d.start, chosen.start)])]  # fmt: skip
        if same:
            return min(same, key=lambda d: abs(d.start - chosen.start)).value
    arrivals = [d for d in usable if d.kind == "arrival"]
    if arrivals:
        return arrivals[-1].value
    return usable[0].value if usable else None


def extract(text: str, received_at: datetime) -> RulesResult:
    """The arrival time and date ``text`` states, resolved against ``received_at``."""
    text = normalize(text)
    context = Context(text)
    times = find_times(context)
    dates = find_dates(context, received_at.date(), times)
    chosen = _choose_time(times)
    day = _choose_date(dates, chosen, text)
    relative = _in_a_while(context, received_at)
    if relative and (chosen is None or (chosen.kind, relative[0].kind) == ("neutral", "arrival")):
        chosen, day = relative[0], day or relative[1]
    date_text = day.isoformat() if day else None
    if chosen is not None:
        confidence = CONFIDENCE_EXACT if chosen.kind == "arrival" else CONFIDENCE_NEUTRAL
        if chosen.approx:
            confidence = min(confidence, CONFIDENCE_APPROX)
        return RulesResult(f"{chosen.hour:02d}:{chosen.minute:02d}", date_text, confidence)
    if day is not None:
        return RulesResult(None, date_text, CONFIDENCE_DATE_ONLY)
    if PERIODS.search(text):
        return RulesResult(None, None, CONFIDENCE_PERIOD)
    return RulesResult(None, None, 0.0)
