"""Per-language words used by the text front-end, kept as plain data.

Everything spoken that is not the user's own text comes from here: unit names,
currency names, month names and the few glue words (minus, to, about...).
Languages without their own table (Japanese, Chinese, anything unknown) use
English, as the project decided, so a Japanese answer reads "21 degrees Celsius"
rather than leaving the symbol to a phonemizer that would drop it.
"""

from __future__ import annotations

from dataclasses import dataclass

from wyoming_kokoro.languages import LANGUAGES

# English regions that spell "metre" and read dates day first.
_BRITISH_REGIONS = frozenset({"gb", "uk", "ie", "au", "nz", "za", "in"})

_OWN_TABLES = frozenset(language.words for language in LANGUAGES.values())


@dataclass(frozen=True)
class Reading:
    """How a text is read: which word tables to use and a few reading habits."""

    key: str  # 'en', 'es', 'fr', 'it', 'pt' or 'hi'
    british: bool = False  # en-GB spelling and day-first dates
    cjk: bool = False  # Japanese/Chinese text: English words, ideographic full stop
    chinese: bool = False  # '¥' is the yuan, not the yen

    @property
    def full_stop(self) -> str:
        """The full stop added to a block that lacks final punctuation."""
        return "。" if self.cjk else "."


def resolve_language(code: str) -> Reading:
    """Map a Kokoro code ('a', 'e', ...) or a BCP-47 tag ('pt-BR') to its Reading.

    Anything not recognised falls back to American English.
    """
    raw = (code or "").strip()
    low = raw.lower().replace("_", "-")
    language = LANGUAGES.get(low)
    if language is not None:
        return Reading(language.words, british=language.british, cjk=language.cjk,
                       chinese=language.tag.startswith("zh"))
    parts = low.split("-")
    primary = parts[0]
    if primary in ("ja", "jpn"):
        return Reading("en", cjk=True)
    if primary in ("zh", "cmn", "yue"):
        return Reading("en", cjk=True, chinese=True)
    if primary == "en":
        british = any(part in _BRITISH_REGIONS for part in parts[1:])
        return Reading("en", british=british)
    if primary in _OWN_TABLES:
        return Reading(primary)
    return Reading("en")


# --- glue words -------------------------------------------------------------

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "times": "times",
        "minus": "minus",
        "plus": "plus",
        "range": "to",
        "about": "about",
        "number": "number",
        "and": "and",
        "per": "per",
        "midnight": "midnight",
        "code": "There is a code block here.",
    },
    "es": {
        "times": "por",
        "minus": "menos",
        "plus": "más",
        "range": "a",
        "about": "aproximadamente",
        "number": "número",
        "and": "y",
        "per": "por",
        "midnight": "medianoche",
        "code": "Aquí hay un bloque de código.",
    },
    "fr": {
        "times": "fois",
        "minus": "moins",
        "plus": "plus",
        "range": "à",
        "about": "environ",
        "number": "numéro",
        "and": "et",
        "per": "par",
        "midnight": "minuit",
        "code": "Il y a un bloc de code ici.",
    },
    "it": {
        "times": "per",
        "minus": "meno",
        "plus": "più",
        "range": "a",
        "about": "circa",
        "number": "numero",
        "and": "e",
        "per": "per",
        "midnight": "mezzanotte",
        "code": "Qui c'è un blocco di codice.",
    },
    "pt": {
        "times": "vezes",
        "minus": "menos",
        "plus": "mais",
        "range": "a",
        "about": "cerca de",
        "number": "número",
        "and": "e",
        "per": "por",
        "midnight": "meia-noite",
        "code": "Aqui há um bloco de código.",
    },
    "hi": {
        "times": "गुणा",
        "minus": "माइनस",
        "plus": "प्लस",
        "range": "से",
        "about": "लगभग",
        "number": "नंबर",
        "and": "और",
        "per": "प्रति",
        "midnight": "आधी रात",
        "code": "यहाँ एक कोड ब्लॉक है।",
    },
}

# --- units ------------------------------------------------------------------
# key: (singular, plural). Written spellings of each key are in symbols.py.

UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "degC": ("degree Celsius", "degrees Celsius"),
        "degF": ("degree Fahrenheit", "degrees Fahrenheit"),
        "deg": ("degree", "degrees"),
        "percent": ("percent", "percent"),
        "MWh": ("megawatt hour", "megawatt hours"),
        "kWh": ("kilowatt hour", "kilowatt hours"),
        "Wh": ("watt hour", "watt hours"),
        "MW": ("megawatt", "megawatts"),
        "kW": ("kilowatt", "kilowatts"),
        "W": ("watt", "watts"),
        "V": ("volt", "volts"),
        "Hz": ("hertz", "hertz"),
        "K": ("kelvin", "kelvin"),
        "kmh": ("kilometer per hour", "kilometers per hour"),
        "mps": ("meter per second", "meters per second"),
        "mph": ("mile per hour", "miles per hour"),
        "mmh": ("millimeter per hour", "millimeters per hour"),
        "mm": ("millimeter", "millimeters"),
        "cm": ("centimeter", "centimeters"),
        "km": ("kilometer", "kilometers"),
        "m2": ("square meter", "square meters"),
        "m3": ("cubic meter", "cubic meters"),
        "m": ("meter", "meters"),
        "hPa": ("hectopascal", "hectopascals"),
        "mbar": ("millibar", "millibars"),
        "lx": ("lux", "lux"),
        "ppm": ("part per million", "parts per million"),
        "ppb": ("part per billion", "parts per billion"),
        "ugm3": ("microgram per cubic meter", "micrograms per cubic meter"),
        "kg": ("kilogram", "kilograms"),
        "g": ("gram", "grams"),
        "L": ("liter", "liters"),
        "mL": ("milliliter", "milliliters"),
        "dB": ("decibel", "decibels"),
        "h": ("hour", "hours"),
        "min": ("minute", "minutes"),
        "s": ("second", "seconds"),
    },
    "es": {
        "degC": ("grado Celsius", "grados Celsius"),
        "degF": ("grado Fahrenheit", "grados Fahrenheit"),
        "deg": ("grado", "grados"),
        "percent": ("por ciento", "por ciento"),
        "MWh": ("megavatio hora", "megavatios hora"),
        "kWh": ("kilovatio hora", "kilovatios hora"),
        "Wh": ("vatio hora", "vatios hora"),
        "MW": ("megavatio", "megavatios"),
        "kW": ("kilovatio", "kilovatios"),
        "W": ("vatio", "vatios"),
        "V": ("voltio", "voltios"),
        "Hz": ("hercio", "hercios"),
        "K": ("kelvin", "kelvin"),
        "kmh": ("kilómetro por hora", "kilómetros por hora"),
        "mps": ("metro por segundo", "metros por segundo"),
        "mph": ("milla por hora", "millas por hora"),
        "mmh": ("milímetro por hora", "milímetros por hora"),
        "mm": ("milímetro", "milímetros"),
        "cm": ("centímetro", "centímetros"),
        "km": ("kilómetro", "kilómetros"),
        "m2": ("metro cuadrado", "metros cuadrados"),
        "m3": ("metro cúbico", "metros cúbicos"),
        "m": ("metro", "metros"),
        "hPa": ("hectopascal", "hectopascales"),
        "mbar": ("milibar", "milibares"),
        "lx": ("lux", "lux"),
        "ppm": ("parte por millón", "partes por millón"),
        "ppb": ("parte por mil millones", "partes por mil millones"),
        "ugm3": ("microgramo por metro cúbico", "microgramos por metro cúbico"),
        "kg": ("kilogramo", "kilogramos"),
        "g": ("gramo", "gramos"),
        "L": ("litro", "litros"),
        "mL": ("mililitro", "mililitros"),
        "dB": ("decibelio", "decibelios"),
        "h": ("hora", "horas"),
        "min": ("minuto", "minutos"),
        "s": ("segundo", "segundos"),
    },
    "fr": {
        "degC": ("degré Celsius", "degrés Celsius"),
        "degF": ("degré Fahrenheit", "degrés Fahrenheit"),
        "deg": ("degré", "degrés"),
        "percent": ("pour cent", "pour cent"),
        "MWh": ("mégawattheure", "mégawattheures"),
        "kWh": ("kilowattheure", "kilowattheures"),
        "Wh": ("wattheure", "wattheures"),
        "MW": ("mégawatt", "mégawatts"),
        "kW": ("kilowatt", "kilowatts"),
        "W": ("watt", "watts"),
        "V": ("volt", "volts"),
        "Hz": ("hertz", "hertz"),
        "K": ("kelvin", "kelvins"),
        "kmh": ("kilomètre par heure", "kilomètres par heure"),
        "mps": ("mètre par seconde", "mètres par seconde"),
        "mph": ("mille par heure", "milles par heure"),
        "mmh": ("millimètre par heure", "millimètres par heure"),
        "mm": ("millimètre", "millimètres"),
        "cm": ("centimètre", "centimètres"),
        "km": ("kilomètre", "kilomètres"),
        "m2": ("mètre carré", "mètres carrés"),
        "m3": ("mètre cube", "mètres cubes"),
        "m": ("mètre", "mètres"),
        "hPa": ("hectopascal", "hectopascals"),
        "mbar": ("millibar", "millibars"),
        "lx": ("lux", "lux"),
        "ppm": ("partie par million", "parties par million"),
        "ppb": ("partie par milliard", "parties par milliard"),
        "ugm3": ("microgramme par mètre cube", "microgrammes par mètre cube"),
        "kg": ("kilogramme", "kilogrammes"),
        "g": ("gramme", "grammes"),
        "L": ("litre", "litres"),
        "mL": ("millilitre", "millilitres"),
        "dB": ("décibel", "décibels"),
        "h": ("heure", "heures"),
        "min": ("minute", "minutes"),
        "s": ("seconde", "secondes"),
    },
    "it": {
        "degC": ("grado Celsius", "gradi Celsius"),
        "degF": ("grado Fahrenheit", "gradi Fahrenheit"),
        "deg": ("grado", "gradi"),
        "percent": ("percento", "percento"),
        "MWh": ("megawattora", "megawattora"),
        "kWh": ("chilowattora", "chilowattora"),
        "Wh": ("wattora", "wattora"),
        "MW": ("megawatt", "megawatt"),
        "kW": ("chilowatt", "chilowatt"),
        "W": ("watt", "watt"),
        "V": ("volt", "volt"),
        "Hz": ("hertz", "hertz"),
        "K": ("kelvin", "kelvin"),
        "kmh": ("chilometro orario", "chilometri orari"),
        "mps": ("metro al secondo", "metri al secondo"),
        "mph": ("miglio orario", "miglia orarie"),
        "mmh": ("millimetro all'ora", "millimetri all'ora"),
        "mm": ("millimetro", "millimetri"),
        "cm": ("centimetro", "centimetri"),
        "km": ("chilometro", "chilometri"),
        "m2": ("metro quadrato", "metri quadrati"),
        "m3": ("metro cubo", "metri cubi"),
        "m": ("metro", "metri"),
        "hPa": ("ettopascal", "ettopascal"),
        "mbar": ("millibar", "millibar"),
        "lx": ("lux", "lux"),
        "ppm": ("parte per milione", "parti per milione"),
        "ppb": ("parte per miliardo", "parti per miliardo"),
        "ugm3": ("microgrammo per metro cubo", "microgrammi per metro cubo"),
        "kg": ("chilogrammo", "chilogrammi"),
        "g": ("grammo", "grammi"),
        "L": ("litro", "litri"),
        "mL": ("millilitro", "millilitri"),
        "dB": ("decibel", "decibel"),
        "h": ("ora", "ore"),
        "min": ("minuto", "minuti"),
        "s": ("secondo", "secondi"),
    },
    "pt": {
        "degC": ("grau Celsius", "graus Celsius"),
        "degF": ("grau Fahrenheit", "graus Fahrenheit"),
        "deg": ("grau", "graus"),
        "percent": ("por cento", "por cento"),
        "MWh": ("megawatt-hora", "megawatts-hora"),
        "kWh": ("quilowatt-hora", "quilowatts-hora"),
        "Wh": ("watt-hora", "watts-hora"),
        "MW": ("megawatt", "megawatts"),
        "kW": ("quilowatt", "quilowatts"),
        "W": ("watt", "watts"),
        "V": ("volt", "volts"),
        "Hz": ("hertz", "hertz"),
        "K": ("kelvin", "kelvin"),
        "kmh": ("quilômetro por hora", "quilômetros por hora"),
        "mps": ("metro por segundo", "metros por segundo"),
        "mph": ("milha por hora", "milhas por hora"),
        "mmh": ("milímetro por hora", "milímetros por hora"),
        "mm": ("milímetro", "milímetros"),
        "cm": ("centímetro", "centímetros"),
        "km": ("quilômetro", "quilômetros"),
        "m2": ("metro quadrado", "metros quadrados"),
        "m3": ("metro cúbico", "metros cúbicos"),
        "m": ("metro", "metros"),
        "hPa": ("hectopascal", "hectopascais"),
        "mbar": ("milibar", "milibares"),
        "lx": ("lux", "lux"),
        "ppm": ("parte por milhão", "partes por milhão"),
        "ppb": ("parte por bilhão", "partes por bilhão"),
        "ugm3": ("micrograma por metro cúbico", "microgramas por metro cúbico"),
        "kg": ("quilograma", "quilogramas"),
        "g": ("grama", "gramas"),
        "L": ("litro", "litros"),
        "mL": ("mililitro", "mililitros"),
        "dB": ("decibel", "decibéis"),
        "h": ("hora", "horas"),
        "min": ("minuto", "minutos"),
        "s": ("segundo", "segundos"),
    },
    "hi": {
        "degC": ("डिग्री सेल्सियस", "डिग्री सेल्सियस"),
        "degF": ("डिग्री फ़ारेनहाइट", "डिग्री फ़ारेनहाइट"),
        "deg": ("डिग्री", "डिग्री"),
        "percent": ("प्रतिशत", "प्रतिशत"),
        "MWh": ("मेगावाट घंटा", "मेगावाट घंटे"),
        "kWh": ("किलोवाट घंटा", "किलोवाट घंटे"),
        "Wh": ("वाट घंटा", "वाट घंटे"),
        "MW": ("मेगावाट", "मेगावाट"),
        "kW": ("किलोवाट", "किलोवाट"),
        "W": ("वाट", "वाट"),
        "V": ("वोल्ट", "वोल्ट"),
        "Hz": ("हर्ट्ज़", "हर्ट्ज़"),
        "K": ("केल्विन", "केल्विन"),
        "kmh": ("किलोमीटर प्रति घंटा", "किलोमीटर प्रति घंटा"),
        "mps": ("मीटर प्रति सेकंड", "मीटर प्रति सेकंड"),
        "mph": ("मील प्रति घंटा", "मील प्रति घंटा"),
        "mmh": ("मिलीमीटर प्रति घंटा", "मिलीमीटर प्रति घंटा"),
        "mm": ("मिलीमीटर", "मिलीमीटर"),
        "cm": ("सेंटीमीटर", "सेंटीमीटर"),
        "km": ("किलोमीटर", "किलोमीटर"),
        "m2": ("वर्ग मीटर", "वर्ग मीटर"),
        "m3": ("घन मीटर", "घन मीटर"),
        "m": ("मीटर", "मीटर"),
        "hPa": ("हेक्टोपास्कल", "हेक्टोपास्कल"),
        "mbar": ("मिलीबार", "मिलीबार"),
        "lx": ("लक्स", "लक्स"),
        "ppm": ("पार्ट्स पर मिलियन", "पार्ट्स पर मिलियन"),
        "ppb": ("पार्ट्स पर बिलियन", "पार्ट्स पर बिलियन"),
        "ugm3": ("माइक्रोग्राम प्रति घन मीटर", "माइक्रोग्राम प्रति घन मीटर"),
        "kg": ("किलोग्राम", "किलोग्राम"),
        "g": ("ग्राम", "ग्राम"),
        "L": ("लीटर", "लीटर"),
        "mL": ("मिलीलीटर", "मिलीलीटर"),
        "dB": ("डेसिबल", "डेसिबल"),
        "h": ("घंटा", "घंटे"),
        "min": ("मिनट", "मिनट"),
        "s": ("सेकंड", "सेकंड"),
    },
}

# "x per <time>" phrases, used after a unit or a price ("3 kWh/day", "€/h").
PER_TIME: dict[str, dict[str, str]] = {
    "en": {"h": "per hour", "day": "per day", "week": "per week", "month": "per month", "year": "per year"},
    "es": {"h": "por hora", "day": "al día", "week": "a la semana", "month": "al mes", "year": "al año"},
    "fr": {"h": "par heure", "day": "par jour", "week": "par semaine", "month": "par mois", "year": "par an"},
    "it": {"h": "all'ora", "day": "al giorno", "week": "alla settimana", "month": "al mese", "year": "all'anno"},
    "pt": {"h": "por hora", "day": "por dia", "week": "por semana", "month": "por mês", "year": "por ano"},
    "hi": {"h": "प्रति घंटा", "day": "प्रति दिन", "week": "प्रति सप्ताह", "month": "प्रति माह", "year": "प्रति वर्ष"},
}

# --- currencies -------------------------------------------------------------
# code: (singular, plural, minor singular, minor plural); minor None: no cents.

CURRENCIES: dict[str, dict[str, tuple[str, str, str | None, str | None]]] = {
    "en": {
        "EUR": ("euro", "euros", "cent", "cents"),
        "USD": ("dollar", "dollars", "cent", "cents"),
        "GBP": ("pound", "pounds", "penny", "pence"),
        "JPY": ("yen", "yen", None, None),
        "CNY": ("yuan", "yuan", None, None),
        "INR": ("rupee", "rupees", "paisa", "paise"),
        "BRL": ("real", "reais", "centavo", "centavos"),
    },
    "es": {
        "EUR": ("euro", "euros", "céntimo", "céntimos"),
        "USD": ("dólar", "dólares", "centavo", "centavos"),
        "GBP": ("libra", "libras", "penique", "peniques"),
        "JPY": ("yen", "yenes", None, None),
        "CNY": ("yuan", "yuanes", None, None),
        "INR": ("rupia", "rupias", "paisa", "paisas"),
        "BRL": ("real", "reales", "centavo", "centavos"),
    },
    "fr": {
        "EUR": ("euro", "euros", "centime", "centimes"),
        "USD": ("dollar", "dollars", "cent", "cents"),
        "GBP": ("livre", "livres", "penny", "pence"),
        "JPY": ("yen", "yens", None, None),
        "CNY": ("yuan", "yuans", None, None),
        "INR": ("roupie", "roupies", "paisa", "paisas"),
        "BRL": ("réal", "réaux", "centavo", "centavos"),
    },
    "it": {
        "EUR": ("euro", "euro", "centesimo", "centesimi"),
        "USD": ("dollaro", "dollari", "centesimo", "centesimi"),
        "GBP": ("sterlina", "sterline", "penny", "pence"),
        "JPY": ("yen", "yen", None, None),
        "CNY": ("yuan", "yuan", None, None),
        "INR": ("rupia", "rupie", "paisa", "paise"),
        "BRL": ("real", "reais", "centavo", "centavos"),
    },
    "pt": {
        "EUR": ("euro", "euros", "centavo", "centavos"),
        "USD": ("dólar", "dólares", "centavo", "centavos"),
        "GBP": ("libra", "libras", "pêni", "pence"),
        "JPY": ("iene", "ienes", None, None),
        "CNY": ("iuane", "iuanes", None, None),
        "INR": ("rupia", "rupias", "paisa", "paisas"),
        "BRL": ("real", "reais", "centavo", "centavos"),
    },
    "hi": {
        "EUR": ("यूरो", "यूरो", "सेंट", "सेंट"),
        "USD": ("डॉलर", "डॉलर", "सेंट", "सेंट"),
        "GBP": ("पाउंड", "पाउंड", "पेंस", "पेंस"),
        "JPY": ("येन", "येन", None, None),
        "CNY": ("युआन", "युआन", None, None),
        "INR": ("रुपया", "रुपये", "पैसा", "पैसे"),
        "BRL": ("रियल", "रियल", "सेंटावो", "सेंटावो"),
    },
}

# --- dates and times --------------------------------------------------------

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"),
    "hi": ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त",
           "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर"),
}


def unit_words(lang: Reading, key: str) -> tuple[str, str]:
    """(singular, plural) for a unit key; British spelling for en-GB."""
    words = UNITS[lang.key][key]
    if lang.key == "en" and lang.british:
        return (_britishize(words[0]), _britishize(words[1]))
    return words


def _britishize(word: str) -> str:
    # Only the metric lengths and volumes differ; misaki reads both spellings the same,
    # but espeak's British voice and the printed text look right this way.
    return word.replace("meter", "metre").replace("liter", "litre")


def word(lang: Reading, name: str) -> str:
    """A glue word ("minus", "to", ...) in the language."""
    return WORDS[lang.key][name]
