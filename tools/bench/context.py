"""What every phase works with: the plan, the servers and the direct baseline."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field

from .direct import Direct
from .plan import Plan
from .server import ServerProcess

_LOGGER = logging.getLogger(__name__)


@dataclass
class Context:
    """Shared by the phases; the servers run for the whole bench."""

    plan: Plan
    direct: Direct
    main: ServerProcess
    """Default settings: the server users run."""
    threads_one: ServerProcess
    """--threads 1, for the threads experiment."""
    no_first_clause: ServerProcess
    """synthesis.fast_first_clause: false (set through --config), for the first-clause experiment."""
    default_threads: int
    """torch's default intra-op threads here: what the main server uses."""
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    async def quiet(self) -> None:
        """Wait until no server is working, before anything is timed."""
        servers = (self.main, self.threads_one, self.no_first_clause)
        await asyncio.gather(*(s.wait_idle() for s in servers if s.running))
