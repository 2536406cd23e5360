"""The voice catalogue: names, languages, descriptions, presets and blends.

Voice names only ever come from the catalogue (or a blend of catalogue
names), so a client can never make the server open a path of its choosing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from wyoming_kokoro.config import DEFAULT_VOICE, Preset
from wyoming_kokoro.errors import BadBlendError, UnknownVoiceError
from wyoming_kokoro.languages import LANGUAGE_CODES, LANGUAGES, Language

# Every voice of Kokoro-82M v1.0. The first letter is the language, the
# second the gender (f or m).
VOICE_NAMES: tuple[str, ...] = (
    "af_heart", "af_alloy", "af_aoede", "af_bella", "af_jessica", "af_kore", "af_nicole",
    "af_nova", "af_river", "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric",
    "am_fenrir", "am_liam", "am_michael", "am_onyx", "am_puck", "am_santa",
    "bf_alice", "bf_emma", "bf_isabella", "bf_lily", "bm_daniel", "bm_fable", "bm_george",
    "bm_lewis",
    "ef_dora", "em_alex", "em_santa",
    "ff_siwis",
    "hf_alpha", "hf_beta", "hm_omega", "hm_psi",
    "if_sara", "im_nicola",
    "jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo",
    "pf_dora", "pm_alex", "pm_santa",
    "zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi",
    "zm_yunxia", "zm_yunyang",
)
_VOICE_NAME = re.compile(rf"^[{''.join(LANGUAGE_CODES)}][fm]_[a-z]+$")
_WEIGHT = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
MAX_BLEND_PARTS = 8


@dataclass(frozen=True)
class Voice:
    """One catalogue voice."""

    name: str
    language: Language
    gender: str
    description: str


def _describe(name: str) -> Voice:
    language = LANGUAGES[name[0]]
    gender = "female" if name[1] == "f" else "male"
    title = name.split("_", 1)[1].capitalize()
    return Voice(name, language, gender, f"{title} — {language.label}, {gender}")


CATALOGUE: dict[str, Voice] = {name: _describe(name) for name in VOICE_NAMES}


@dataclass(frozen=True)
class VoiceChoice:
    """A voice resolved for one request: catalogue voices with weights."""

    name: str
    """What the client asked for (a name, preset or blend), for logs and errors."""
    parts: tuple[tuple[str, float], ...]
    """Catalogue voice names with weights that sum to 1."""
    speed: float | None
    """A preset's speed, or None."""
    spoken: Language | None = None
    """The language the text is read as, when the request names one the voice does not speak."""

    @property
    def language(self) -> Language:
        """The request's language if it gave one; else a blend speaks that of its first voice."""
        return self.spoken or CATALOGUE[self.parts[0][0]].language

    @property
    def key(self) -> str:
        """A canonical name for caching the blended tensor."""
        return "+".join(f"{name}:{weight:.6g}" for name, weight in self.parts)


def parse_blend(text: str) -> tuple[tuple[str, float], ...]:
    """Parse ``af_bella:0.7+af_sky:0.3`` (weights optional) into normalised parts."""
    raw_parts = text.split("+")
    if len(raw_parts) > MAX_BLEND_PARTS:
        raise BadBlendError(f"blend {text!r} has more than {MAX_BLEND_PARTS} voices")
    parts: dict[str, float] = {}
    for raw in raw_parts:
        name, sep, weight_text = raw.strip().partition(":")
        name = name.strip()
        if not name:
            raise BadBlendError(f"blend {text!r} has an empty voice name")
        if sep:
            weight_text = weight_text.strip()
            if not _WEIGHT.match(weight_text):
                raise BadBlendError(f"blend {text!r}: weight {weight_text!r} is not a number")
            weight = float(weight_text)
        else:
            weight = 1.0
        if not math.isfinite(weight) or weight <= 0:
            raise BadBlendError(f"blend {text!r}: weight of {name!r} must be above 0")
        parts[name] = parts.get(name, 0.0) + weight
    total = sum(parts.values())
    return tuple((name, weight / total) for name, weight in parts.items())


class VoiceCatalogue:
    """What this server can speak, and how request voices resolve."""

    def __init__(
        self,
        speakable: Iterable[str],
        presets: Iterable[Preset] = (),
        default: str = DEFAULT_VOICE,
        languages: Iterable[str] = (),
    ) -> None:
        """speakable: catalogue voices with a usable language and a file (or download);
        languages: codes whose G2P is loaded, so a request may read text as one of them
        in any voice (a Japanese voice reading English, when only Japanese voices exist)."""
        self._speakable = frozenset(name for name in speakable if name in CATALOGUE)
        self._languages = frozenset(languages)
        self._presets = {preset.name: preset for preset in presets}
        self._default = default

    @property
    def speakable(self) -> frozenset[str]:
        return self._speakable

    @property
    def languages(self) -> frozenset[str]:
        """Codes of the languages whose G2P is loaded."""
        return self._languages

    @property
    def presets(self) -> tuple[Preset, ...]:
        return tuple(self._presets.values())

    @property
    def default(self) -> str:
        return self._default

    def is_installed(self, name: str) -> bool:
        return name in self._speakable

    def check(self) -> None:
        """Raise if the default voice or a preset cannot be spoken."""
        for preset in self._presets.values():
            try:
                self.resolve(preset.name)
            except (UnknownVoiceError, BadBlendError) as err:
                raise UnknownVoiceError(f"preset {preset.name!r}: {err.message}") from None
        self.resolve(self._default)

    def resolve(self, name: str | None, language: str | None = None) -> VoiceChoice:
        """Turn a request's voice (or None) into catalogue parts.

        With no name, a language picks the default voice if it speaks that
        language, or else the first installed voice that does.
        """
        if not name:
            if language:
                by_language = self._default_for_language(language)
                if by_language is not None:
                    return self.resolve(by_language)
            name = self._default
        if not isinstance(name, str) or len(name) > 512:
            raise UnknownVoiceError("voice name must be a short string")
        preset = self._presets.get(name)
        if preset is not None:
            choice = VoiceChoice(name=name, parts=self._parts(preset.voice), speed=preset.speed)
        else:
            choice = VoiceChoice(name=name, parts=self._parts(name), speed=None)
        spoken = self._spoken_language(choice, language)
        return choice if spoken is None else replace(choice, spoken=spoken)

    def _spoken_language(self, choice: VoiceChoice, language: str | None) -> Language | None:
        """A loaded language the request asks for that differs from the voice's own.

        A variety of the voice's own language (en-US for a British voice) is
        no reason to switch: the voice keeps its own phonemes and accent.
        """
        if not language or _same_language(choice.language, language.lower()):
            return None
        return next((LANGUAGES[code] for code in sorted(self._languages)
                     if code in LANGUAGES and _matches(LANGUAGES[code], language.lower())), None)

    def _parts(self, text: str) -> tuple[tuple[str, float], ...]:
        if "+" in text or ":" in text:
            parts = parse_blend(text)
        else:
            parts = ((text.strip(), 1.0),)
        for voice_name, _ in parts:
            if not _VOICE_NAME.match(voice_name) or voice_name not in CATALOGUE:
                raise UnknownVoiceError(f"unknown voice {voice_name!r}")
            if voice_name not in self._speakable:
                raise UnknownVoiceError(f"voice {voice_name!r} is not installed")
        return parts

    def _default_for_language(self, language: str) -> str | None:
        wanted = language.lower()
        try:
            default_parts = self._parts(self._presets[self._default].voice) if (
                self._default in self._presets) else self._parts(self._default)
            if _matches(CATALOGUE[default_parts[0][0]].language, wanted):
                return self._default
        except (UnknownVoiceError, BadBlendError):
            pass
        for voice_name in VOICE_NAMES:
            if voice_name in self._speakable and _matches(CATALOGUE[voice_name].language, wanted):
                return voice_name
        return None


def _matches(language: Language, wanted: str) -> bool:
    """True if a tag such as en, en-us or en_US names this language."""
    wanted = wanted.replace("_", "-")
    tag = language.tag.lower()
    return wanted in (tag, language.code) or tag.split("-")[0] == wanted


def _same_language(language: Language, wanted: str) -> bool:
    """True if wanted names this language or another variety of it (en-US for en-GB)."""
    primary = wanted.replace("_", "-").split("-")[0]
    return _matches(language, wanted) or language.tag.lower().split("-")[0] == primary
