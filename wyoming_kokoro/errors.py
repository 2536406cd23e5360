"""One error base class; each error carries the code that Wyoming clients see."""

from __future__ import annotations


class KokoroError(Exception):
    """Base of every error this server reports to a client or at start-up."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(KokoroError):
    """A setting is unknown or has a bad value."""

    code = "bad_config"


class ModelError(KokoroError):
    """The weights or the config cannot be found, downloaded or loaded."""

    code = "model_unavailable"


class UnknownVoiceError(KokoroError):
    """A voice, preset or blend part is not known or not installed."""

    code = "unknown_voice"


class BadBlendError(KokoroError):
    """A blend such as ``af_bella:0.7+af_sky:0.3`` is malformed."""

    code = "bad_blend"


class BadRequestError(KokoroError):
    """A request field has the wrong type or value."""

    code = "bad_request"


class TextTooLongError(KokoroError):
    """The text is longer than ``synthesis.max_text_length``."""

    code = "text_too_long"


class BusyError(KokoroError):
    """The synthesis queue is full."""

    code = "busy"


class SynthesisTimeoutError(KokoroError):
    """One sentence took longer than ``synthesis.sentence_timeout``."""

    code = "timeout"


class SynthesisError(KokoroError):
    """The model failed on one request."""

    code = "synthesis_failed"


class ShuttingDownError(KokoroError):
    """The server is stopping and takes no new work."""

    code = "shutting_down"
