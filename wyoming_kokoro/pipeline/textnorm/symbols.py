"""Numbers with symbols: dates, times, signs, ranges, money and units.

Digits stay digits (misaki and espeak read numbers themselves, each in its own
language) and a decimal separator stays as written; only the symbols around the
numbers become words. The exceptions are deliberate and few: an ISO date's month
becomes a month name, leading zeros of a day, an hour, minutes or cents are not read
("08:05" is "8 oh 5"), and all-zero parts are left out ("14:00", "$5.00").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wyoming_kokoro.pipeline.textnorm.lexicon import (
    CURRENCIES,
    MONTHS,
    PER_TIME,
    Reading,
    unit_words,
    word,
)

_Sub = Callable[[re.Match[str]], str]

# Latin letters. Lookarounds use them rather than \w so that numbers written right
# against Japanese, Chinese or Devanagari text ("今日は21 °C") are still read.
_L = "A-Za-z\u00c0-\u024f"
# A number starts neither inside a Latin word nor inside another number ("1.5").
_START = rf"(?<![{_L}\d_])(?<!\d[.,])"
_NUM = r"\d+(?:[.,]\d+)*"

# --- dates --------------------------------------------------------------------

_ISO_DATE = re.compile(
    rf"(?<![{_L}\d_-])(\d{{4}})-(\d{{2}})-(\d{{2}})(?:(T)(?=\d{{1,2}}:\d{{2}})|(?![{_L}\d_-]))"
)


def _ordinal_en(day: int) -> str:
    """ "28th": misaki reads a number with an ordinal suffix as an ordinal."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return str(day) + {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _date(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group(0)
        name = MONTHS[lang.key][month - 1]
        if lang.key == "en":
            text = (
                f"{_ordinal_en(day)} {name} {year}"
                if lang.british
                else f"{name} {_ordinal_en(day)}, {year}"
            )
        elif lang.key == "hi":
            text = f"{day} {name} {year}"
        else:
            # espeak reads "1er" as "premier" and "1º" as "primo"/"primeiro"
            first = {"fr": "1er", "it": "1º", "pt": "1º"}.get(lang.key, "1")
            shown = first if day == 1 else str(day)
            text = f"{shown} de {name} de {year}" if lang.key in ("es", "pt") else f"{shown} {name} {year}"
        return text + (" " if m.group(4) else "")

    return sub


# --- times --------------------------------------------------------------------

_AMPM = rf"(?:\s?([AaPp])\.?\s?[Mm](?![{_L}\d_])(\.)?)"
# Hindi writes "14:30 बजे" ("o'clock"); the word is part of the time as read.
_TIME = re.compile(
    rf"(?<![{_L}\d_:.,])([01]?\d|2[0-3]):([0-5]\d)(?![\d:]|[.,]\d)" + _AMPM + r"?(?: ?बजे)?"
)
_HOUR_AMPM = re.compile(rf"(?<![{_L}\d_:.,])(1[0-2]|0?[1-9])" + _AMPM)
# "14h30", "14h" (French and Brazilian Portuguese habit)
_H_TIME = re.compile(rf"(?<![{_L}\d_:.,])([01]?\d|2[0-3]) ?h ?([0-5]\d)?(?![{_L}\d_'’])")


def _keep_dot(m: re.Match[str]) -> str:
    """The dot of "p.m." also ends the sentence when the text goes on with a capital."""
    if not m.group(m.re.groups):
        return ""
    after = m.string[m.end():]
    return "." if not after.strip() or re.match(r"\s+[A-Z¿¡\"']", after) else ""


def _clock(lang: Reading, hour: str, minute: str, ampm: str) -> str:
    h = str(int(hour))
    mm = int(minute)
    m = str(mm)
    if mm == 0 and int(hour) == 0 and not ampm:
        return word(lang, "midnight")
    key = lang.key
    if key == "en":
        if mm == 0:
            if ampm:
                text = h
            else:
                text = f"{h} o'clock" if 1 <= int(h) <= 12 else f"{h} hundred"
        else:
            text = f"{h} {m}" if mm >= 10 else f"{h} oh {m}"
    elif key == "es":
        text = h if mm == 0 else f"{h} y {m}"  # "a las 9", "a las 9 y 15"
    elif key == "fr":
        hours = "heure" if int(h) < 2 else "heures"
        text = f"{h} {hours}" if mm == 0 else f"{h} {hours} {m}"
    elif key == "it":
        text = h if mm == 0 else f"{h} e {m}"  # "alle 9", "alle 9 e 15"
    elif key == "pt":
        text = (f"{h} hora" if int(h) < 2 else f"{h} horas") if mm == 0 else f"{h} e {m}"
    else:  # hi
        text = f"{h} बजे" if mm == 0 else f"{h} बजकर {m} मिनट"
    return f"{text} {ampm}" if ampm else text


# The dash between two times: "22:00–07:00" reads "22 hundred to 7 o'clock".
_TIME_RANGE = re.compile(
    r"(?<=\d:[0-5]\d)(\s?[AaPp]\.?\s?[Mm]\.?)?\s*[-–—‒―]\s*"
    r"(?=(?:[01]?\d|2[0-3]):[0-5]\d(?!\d))"
)


def _time_range(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        return f"{m.group(1) or ''} {word(lang, 'range')} "

    return sub


def _time(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        ampm = (m.group(3).upper() + "M") if m.group(3) else ""
        return _clock(lang, m.group(1), m.group(2), ampm) + _keep_dot(m)

    return sub


def _hour_ampm(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        return f"{int(m.group(1))} {m.group(2).upper()}M" + _keep_dot(m)

    return sub


def _h_time(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        return _clock(lang, m.group(1), m.group(2) or "00", "")

    return sub


# --- signs, approximations, ranges ----------------------------------------------

_SIGN = re.compile(rf"(?<![{_L}\d_.,)\]+\-−])([-−+])(?=\d)")
_APPROX = re.compile(r"(?:~|≈|∼)\s?(?=[-−+]?[\d$€£¥₹])")
_NUMBER_SIGN = re.compile(rf"(?<![{_L}\d_&])[#№]\s?(?=\d)")
_AMPERSAND = re.compile(r"(?<=\s)&(?=\s)")
_RANGE = re.compile(
    rf"(?<![{_L}\d_.,\-–—])(?<!\d[.,])(" + _NUM + r")(\s*[–—‒―]\s*|-|\s+-\s+)(" + _NUM + r")"
    r"(?![\d]|[.,]\d|\s*[-–—‒―]\s*\d)"
)


_TIMES = re.compile(r"(?<=\d)(?: ?× ?| \* )(?=[-−+]?\d)")


def multiplication(text: str, lang: Reading) -> str:
    """ "3 × 4" and "3 * 4" read "3 times 4"; must run before "*" is removed as markup."""
    if "×" not in text and "*" not in text:
        return text
    return _TIMES.sub(" " + word(lang, "times") + " ", text)


# Digit grouping, which espeak reads as punctuation ("1.234" as "one. two hundred..."):
# dots in the languages that write a decimal comma, commas in Hindi ("1,25,000").
# English keeps its commas: misaki reads "1,234" right, and "1234" as a year.
_GROUP_DOTS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.])")
_GROUP_COMMAS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{2})*,\d{3}(?![\d,])")


def ungroup(text: str, lang: Reading) -> str:
    """Remove thousands separators where the language's phonemizer would stumble."""
    if lang.key in ("es", "fr", "it", "pt"):
        return _GROUP_DOTS.sub(lambda m: m.group(0).replace(".", ""), text)
    if lang.key == "hi":
        return _GROUP_COMMAS.sub(lambda m: m.group(0).replace(",", ""), text)
    return text


def _sign(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        return word(lang, "plus" if m.group(1) == "+" else "minus") + " "

    return sub


# --- units ----------------------------------------------------------------------

_UNIT_SPELLINGS: dict[str, str] = {
    "°C": "degC", "° C": "degC", "ºC": "degC", "°c": "degC", "℃": "degC",
    "°F": "degF", "° F": "degF", "ºF": "degF", "°f": "degF", "℉": "degF",
    "°": "deg",
    "%": "percent", "٪": "percent",
    "MWh": "MWh", "kWh": "kWh", "kwh": "kWh", "KWh": "kWh", "KWH": "kWh", "Wh": "Wh",
    "MW": "MW", "kW": "kW", "KW": "kW", "kw": "kW", "W": "W",
    "V": "V", "Hz": "Hz", "K": "K",
    "km/h": "kmh", "kmh": "kmh", "kph": "kmh", "m/s": "mps", "mph": "mph", "mm/h": "mmh",
    "mm": "mm", "cm": "cm", "km": "km", "Km": "km",
    "m²": "m2", "m2": "m2", "m³": "m3", "m3": "m3", "m": "m",
    "hPa": "hPa", "hpa": "hPa", "mbar": "mbar", "lx": "lx",
    "ppm": "ppm", "ppb": "ppb",
    "kg": "kg", "g": "g", "L": "L", "l": "L", "mL": "mL", "ml": "mL", "dB": "dB",
    "h": "h", "hr": "h", "hrs": "h", "min": "min", "mins": "min",
    "s": "s", "sec": "s", "secs": "s",
}
for _mu in ("µ", "μ", "u"):
    for _cube in ("m³", "m3"):
        _UNIT_SPELLINGS[f"{_mu}g/{_cube}"] = "ugm3"

_PER_SPELLINGS: dict[str, str] = {
    "h": "h", "hr": "h", "hour": "h", "d": "day", "day": "day", "wk": "week", "week": "week",
    "mo": "month", "month": "month", "yr": "year", "year": "year",
}


def _alternation(spellings: dict[str, str]) -> str:
    return "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))


# After a unit that ends in a letter or digit, a letter means it was a word ("5 min"
# is a unit, "5 minutes" is not; "1 l'eau" is French, not litres).
_UNIT_END = rf"(?!(?<=[^\W_])[{_L}\d_'’])"
_WORD_END = rf"(?![{_L}\d_])"
_PER = r"(?:\s?/\s?(" + _alternation(_PER_SPELLINGS) + r")" + _WORD_END + r")?"
_UNIT = re.compile(
    _START + r"(" + _NUM + r") ?(" + _alternation(_UNIT_SPELLINGS) + r")" + _UNIT_END + _PER
)


def _to_float(number: str, lang: Reading) -> float:
    """The value of a number as written; for the singular/plural choice only."""
    decimal = "." if lang.key in ("en", "hi") else ","
    digits = number
    if "." in number and "," in number:
        decimal = number[max(number.rfind("."), number.rfind(","))]
    for sep in ".,":
        if sep != decimal:
            digits = digits.replace(sep, "")
    try:
        return float(digits.replace(decimal, "."))
    except ValueError:
        return 2.0


def _singular(number: str, lang: Reading) -> bool:
    """Whether a quantity takes the singular: "1 degree" but "2 degrees".

    French uses the singular below 2 ("1,5 degré"), Brazilian Portuguese from 1 up to
    2; the other languages only for exactly one.
    """
    if lang.key == "fr":
        return _to_float(number, lang) < 2
    if lang.key == "pt":
        return 1 <= _to_float(number, lang) < 2
    return number == "1"


def _per_phrase(lang: Reading, spelling: str) -> str:
    """"per hour", "al día", "per kilowatt hour" for a "/x" after a quantity."""
    key = _PER_SPELLINGS.get(spelling)
    if key:
        return PER_TIME[lang.key][key]
    return f"{word(lang, 'per')} {unit_words(lang, _UNIT_SPELLINGS[spelling])[0]}"


def _unit(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        number, spelling, per = m.group(1), m.group(2), m.group(3)
        key = _UNIT_SPELLINGS[spelling]
        # "K" is kelvin only for colour temperatures (2700 K), not "4K" screens.
        if key == "K" and len(re.split(r"[.,]", number)[0]) < 4:
            return m.group(0)
        singular, plural = unit_words(lang, key)
        text = f"{number} {singular if _singular(number, lang) else plural}"
        if per:
            text += " " + _per_phrase(lang, per)
        return text

    return sub


# --- money ----------------------------------------------------------------------

_CODES = "EUR|USD|GBP|INR|BRL|JPY|CNY"
_SYMBOL_CURRENCY = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "₹": "INR", "R$": "BRL"}
_MONEY_PER = (
    r"(?:\s?/\s?(" + _alternation({**_UNIT_SPELLINGS, **_PER_SPELLINGS}) + r")" + _WORD_END + r")?"
)
_MONEY_BEFORE = re.compile(
    rf"(?<![{_L}\d_$])(R\$|US\$|[€$£¥₹]|(?:" + _CODES + r")(?= ?\d)) ?(" + _NUM + r")(?!\d)" + _MONEY_PER
)
_MONEY_AFTER = re.compile(
    _START + r"(" + _NUM + r") ?(R\$|[€$£¥₹]|(?:" + _CODES + r")" + _WORD_END + r")" + _MONEY_PER
)
_LONE_CURRENCY = re.compile(rf"(?<![{_L}\d_$])(R\$|US\$|[€£¥₹])(?![{_L}\d_])")


def _currency_code(symbol: str, lang: Reading) -> str:
    if symbol == "¥":
        return "CNY" if lang.chinese else "JPY"
    return _SYMBOL_CURRENCY.get(symbol, symbol)


def _split_amount(amount: str) -> tuple[str, str | None]:
    """(whole part, cents) when the amount ends in a two-digit decimal part."""
    seps = [i for i, ch in enumerate(amount) if ch in ".,"]
    if not seps:
        return amount, None
    last = seps[-1]
    kinds = {amount[i] for i in seps}
    tail = amount[last + 1:]
    if len(kinds) == 2 or (len(seps) == 1 and len(tail) != 3):
        # the last separator is the decimal one
        return (amount[:last], tail) if len(tail) == 2 else (amount, None)
    return amount, None  # thousands separators only: "1,500", "1.234.567"


def _money(lang: Reading, code: str, amount: str) -> str:
    one, many, cent, cents = CURRENCIES[lang.key][code]
    whole, minor = _split_amount(amount)
    if minor is None or cent is None or cents is None:
        return f"{amount} {one if amount == '1' else many}"
    whole_words = f"{whole} {one if whole == '1' else many}"
    if int(minor) == 0:
        return whole_words
    minor_words = f"{int(minor)} {cent if int(minor) == 1 else cents}"
    if not whole.strip("0.,"):
        return minor_words
    conjunction = {"es": "con", "en": "and", "hi": "और"}.get(lang.key, word(lang, "and"))
    return f"{whole_words} {conjunction} {minor_words}"


def _money_sub(lang: Reading, before: bool) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        symbol, amount = (m.group(1), m.group(2)) if before else (m.group(2), m.group(1))
        text = _money(lang, _currency_code(symbol, lang), amount)
        if m.group(3):
            text += " " + _per_phrase(lang, m.group(3))
        return text

    return sub


def _lone_currency(lang: Reading) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        return CURRENCIES[lang.key][_currency_code(m.group(1), lang)][1]

    return sub


# --- all together ---------------------------------------------------------------


def speak_symbols(text: str, lang: Reading) -> str:
    """Rewrite dates, times, signs, ranges, money and units as words.

    The order matters: dates before ranges ("2026-11-28" is not "2026 to 11"), times
    before ranges ("14:30–15:00"), signs and ranges before units so that
    "-5–3 °C" reads "minus 5 to 3 degrees Celsius".
    """
    if any(ch.isdigit() for ch in text):
        text = _ISO_DATE.sub(_date(lang), text)
        text = ungroup(text, lang)
        if lang.key in ("fr", "pt"):
            text = _H_TIME.sub(_h_time(lang), text)
        text = _TIME_RANGE.sub(_time_range(lang), text)
        text = _TIME.sub(_time(lang), text)
        text = _HOUR_AMPM.sub(_hour_ampm(lang), text)
        text = _APPROX.sub(word(lang, "about") + " ", text)
        text = _NUMBER_SIGN.sub(word(lang, "number") + " ", text)
        text = _SIGN.sub(_sign(lang), text)
        text = _RANGE.sub(lambda m: f"{m.group(1)} {word(lang, 'range')} {m.group(3)}", text)
        text = _MONEY_BEFORE.sub(_money_sub(lang, before=True), text)
        text = _MONEY_AFTER.sub(_money_sub(lang, before=False), text)
        text = _UNIT.sub(_unit(lang), text)
    text = _LONE_CURRENCY.sub(_lone_currency(lang), text)
    if "&" in text:
        text = _AMPERSAND.sub(word(lang, "and"), text)
    return text
