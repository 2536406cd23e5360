"""The info event that answers describe: one TTS program with every voice."""

from __future__ import annotations

from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

from wyoming_kokoro import __version__
from wyoming_kokoro.languages import LANGUAGES, Language
from wyoming_kokoro.model.voices import CATALOGUE, VoiceCatalogue

PROGRAM_NAME = "kokoro"
KOKORO_ATTRIBUTION = Attribution(name="hexgrad", url="https://huggingface.co/hexgrad/Kokoro-82M")
SERVER_ATTRIBUTION = Attribution(name="wyoming-kokoro", url="https://github.com/wyoming-kokoro/wyoming-kokoro")


def voiceless_languages(catalogue: VoiceCatalogue) -> list[Language]:
    """Loaded languages without an installed voice of their own, in catalogue order.

    The server reads a request's text in any loaded language, whatever the
    voice (see VoiceCatalogue.resolve), so these can still be spoken by the
    voices there are: a model with Japanese voices only speaks English too.
    """
    own = {CATALOGUE[name].language.code for name in catalogue.speakable}
    return [lang for code, lang in LANGUAGES.items()
            if code in catalogue.languages and code not in own]


def _tags(own: Language, installed: bool, extra: list[Language]) -> list[str]:
    """The voice's own language first (a client's default), then those it reads for others."""
    tags = [own.tag]
    if installed:
        tags.extend(lang.tag for lang in extra if lang.tag != own.tag)
    return tags


def build_info(catalogue: VoiceCatalogue) -> Info:
    """Every catalogue voice (installed or not), then the presets."""
    extra = voiceless_languages(catalogue)
    voices = [
        TtsVoice(
            name=voice.name,
            attribution=KOKORO_ATTRIBUTION,
            installed=catalogue.is_installed(voice.name),
            description=voice.description,
            version="1.0",
            languages=_tags(voice.language, catalogue.is_installed(voice.name), extra),
        )
        for voice in CATALOGUE.values()
    ]
    for preset in catalogue.presets:
        choice = catalogue.resolve(preset.name)
        blend = " + ".join(f"{name} {weight:.0%}" for name, weight in choice.parts)
        speed = f", speed {preset.speed:g}" if preset.speed else ""
        voices.append(
            TtsVoice(
                name=preset.name,
                attribution=KOKORO_ATTRIBUTION,
                installed=True,
                description=preset.description or f"{preset.name} — preset: {blend}{speed}",
                version="1.0",
                languages=_tags(choice.language, True, extra),
            )
        )
    program = TtsProgram(
        name=PROGRAM_NAME,
        attribution=SERVER_ATTRIBUTION,
        installed=True,
        description="Kokoro-82M text to speech",
        version=__version__,
        voices=voices,
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])
