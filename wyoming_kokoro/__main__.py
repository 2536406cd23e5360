"""Entry point: flags and config file in, a running server out."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from types import FrameType

_LOGGER = logging.getLogger("wyoming_kokoro")


class EarlyStop:
    """Remembers a SIGTERM/SIGINT that comes before the event loop takes the signals over.

    Installed first thing, so the default action (death by signal) never
    applies; run_app() then stops at once instead of starting up.
    """

    def __init__(self) -> None:
        self.requested = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def run() -> None:
    """Parse, load, serve; start-up failures end in one clear line and exit code."""
    early = EarlyStop()
    # Imported only now, so that a signal during these imports is caught too.
    from wyoming_kokoro.config import load_config
    from wyoming_kokoro.errors import ConfigError, KokoroError
    from wyoming_kokoro.process.cli import build_parser, overrides_from_args

    args = build_parser().parse_args()
    try:
        config = load_config(args.config, overrides_from_args(args))
    except ConfigError as err:
        print(f"wyoming-kokoro: config error: {err.message}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(
        level=logging.DEBUG if config.log.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not config.log.debug:
        # Third-party libraries are chatty at INFO.
        for noisy in ("httpx", "huggingface_hub", "urllib3", "phonemizer"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    # The heavy imports (torch) happen in the model load, which a signal can cut off.
    from wyoming_kokoro.process.app import run_app

    try:
        threads_busy = asyncio.run(run_app(config, lambda: early.requested))
    except KokoroError as err:
        _LOGGER.error("%s", err.message)
        sys.exit(1)
    if threads_busy:
        # A model load (or warm-up) cut off by the stop still runs in its
        # thread. Python cannot kill a thread, and a normal exit would wait
        # for it (a download can take minutes), so leave without waiting:
        # everything else has been shut down and the log is written.
        _LOGGER.info("Leaving the cut-off start-up work in its thread behind")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    run()
