"""Errors of the data layer: one base class, one subclass per kind of failure."""

from __future__ import annotations


class KokoroError(Exception):
    """Base of every error raised while talking to a Kokoro server."""


class KokoroConnectionError(KokoroError):
    """The server cannot be reached, or closed the connection mid-request."""


class KokoroTimeoutError(KokoroError):
    """The server did not answer (or stopped answering) in time."""


class KokoroServerError(KokoroError):
    """The server answered with an `error` event or with something unusable."""

    def __init__(self, message: str, code: str | None = None) -> None:
        """Keep the server's error code (README: unknown_voice, busy, ...)."""
        super().__init__(message)
        self.code = code


class KokoroNoTtsError(KokoroServerError):
    """The server answers `describe` but offers no installed TTS program."""

    def __init__(self, message: str) -> None:
        """Always code `no_tts`."""
        super().__init__(message, code="no_tts")
