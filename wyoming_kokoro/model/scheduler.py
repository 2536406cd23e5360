"""The single synthesis worker: one model thread, fair round-robin, bounds.

Every request opens a Job and submits sentences to it. One asyncio task picks
the next sentence round-robin across jobs and runs it in the one model thread,
so the model is never used by two requests at once, the event loop never
blocks, and a one-sentence request waits for at most the sentence now running.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count

import numpy as np

from wyoming_kokoro.config import SynthesisSettings
from wyoming_kokoro.errors import (
    BusyError,
    KokoroError,
    ShuttingDownError,
    SynthesisError,
    SynthesisTimeoutError,
)
from wyoming_kokoro.model.voices import VoiceChoice

_LOGGER = logging.getLogger(__name__)

# A job whose client has this many unread results waits its turn, so a slow
# reader neither hogs the model nor piles audio up in memory.
MAX_UNREAD = 8

SynthesizeFn = Callable[[str, VoiceChoice, float], list[np.ndarray]]


@dataclass
class _Done:
    """End of a job's results; error is set when the job failed."""

    error: KokoroError | None = None


@dataclass
class SchedulerStats:
    """Counters that tests and logs read."""

    timeouts: int = 0
    by_error: dict[str, int] = field(default_factory=dict)


class Job:
    """One request's sentences in the queue and the audio that comes back.

    The request side uses submit, close_input, cancel and results; the
    scheduler side uses ready, take, put and end. Neither side touches the
    other's state: global bounds and the worker stay in the Scheduler.
    """

    def __init__(self, scheduler: Scheduler, job_id: int, voice: VoiceChoice, speed: float) -> None:
        self.id = job_id
        self.voice = voice
        self.speed = speed
        self._scheduler = scheduler
        self._pending: deque[str] = deque()
        self._results: asyncio.Queue[list[np.ndarray] | _Done] = asyncio.Queue()
        self._unread = 0
        self.input_closed = False
        self.finished = False

    # -- request side ------------------------------------------------------

    def submit(self, sentence: str) -> None:
        """Queue one sentence; raises BusyError when the queue is full."""
        if self.finished:
            return
        self._scheduler.admit()
        self._pending.append(sentence)
        self._scheduler.wake()

    def close_input(self) -> None:
        """No more sentences will come; results end after the last one."""
        if self.input_closed:
            return
        self.input_closed = True
        self._scheduler.settle(self)

    def cancel(self) -> None:
        """Drop queued sentences and discard the one running, if any."""
        if self.finished:
            return
        dropped = self._scheduler.finish(self, None)
        if dropped:
            _LOGGER.debug("Job %s cancelled, %s queued sentences dropped", self.id, dropped)

    async def results(self) -> AsyncIterator[np.ndarray]:
        """Audio arrays in sentence order; raises the job's error if it failed."""
        while True:
            item = await self._results.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            self._unread -= 1
            # A job held back for unread results may run again.
            self._scheduler.wake()
            for audio in item:
                yield audio

    # -- scheduler side ----------------------------------------------------

    @property
    def queued(self) -> int:
        """Sentences waiting for the model."""
        return len(self._pending)

    @property
    def ready(self) -> bool:
        """Has a sentence to run and a client that keeps up with reading."""
        return bool(self._pending) and self._unread < MAX_UNREAD

    def take(self) -> str:
        """The next sentence for the model."""
        return self._pending.popleft()

    def put(self, audio: list[np.ndarray]) -> None:
        """One sentence's audio, for results()."""
        self._unread += 1
        self._results.put_nowait(audio)

    def end(self, error: KokoroError | None) -> int:
        """Mark the job finished, end its results; returns the sentences dropped."""
        self.finished = True
        dropped = len(self._pending)
        self._pending.clear()
        self._results.put_nowait(_Done(error))
        return dropped


class Scheduler:
    """One worker task and one model thread for every request."""

    def __init__(
        self,
        synthesize: SynthesizeFn,
        settings: SynthesisSettings,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """on_idle runs in the model thread each time the queue runs empty."""
        self._synthesize = synthesize
        self._on_idle = on_idle
        self._settings = settings
        self._jobs: list[Job] = []
        self._cursor = 0
        self._queued = 0
        self._ids = count(1)
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kokoro-model")
        self._worker: asyncio.Task[None] | None = None
        self._running: Job | None = None
        self._closing = False
        self._idle_pending = False
        self._abandoned: Future[list[np.ndarray]] | None = None
        """A sentence that timed out but still holds the model thread."""
        self.stats = SchedulerStats()

    @property
    def active_jobs(self) -> int:
        return len(self._jobs)

    @property
    def queued_sentences(self) -> int:
        return self._queued

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="kokoro-scheduler")

    async def run_in_model_thread(self, func: Callable[[], object]) -> object:
        """Run func in the model thread (for warm-up), outside the queue."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, func)

    def open(self, voice: VoiceChoice, speed: float) -> Job:
        """Start a job; raises BusyError past max_requests."""
        if self._closing:
            raise ShuttingDownError("the server is shutting down")
        if len(self._jobs) >= self._settings.max_requests:
            self._count_busy()
            raise BusyError(
                f"{len(self._jobs)} requests are already active (max_requests); try again shortly"
            )
        job = Job(self, next(self._ids), voice, speed)
        self._jobs.append(job)
        return job

    async def stop(self) -> list[int]:
        """Fail every job, stop the worker and the thread; return the cancelled job ids."""
        self._closing = True
        cancelled = [job.id for job in self._jobs]
        for job in list(self._jobs):
            self.finish(job, ShuttingDownError("the server is shutting down"))
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)
        return cancelled

    # -- used by Job -------------------------------------------------------

    def admit(self) -> None:
        """Count one more queued sentence; raises BusyError past the bound."""
        if self._queued >= self._settings.max_queued_sentences:
            self._count_busy()
            raise BusyError(
                f"{self._queued} sentences are already queued (max_queued_sentences)"
            )
        self._queued += 1

    def settle(self, job: Job) -> None:
        """Finish job if its input is closed and none of its sentences remain."""
        if job.input_closed and not job.queued and self._running is not job:
            self.finish(job, None)

    def finish(self, job: Job, error: KokoroError | None) -> int:
        """Take job out of the rotation and end it; returns the sentences dropped."""
        if job.finished:
            return 0
        if job in self._jobs:
            index = self._jobs.index(job)
            self._jobs.remove(job)
            if index < self._cursor:
                self._cursor -= 1
        dropped = job.end(error)
        self._queued -= dropped
        return dropped

    def wake(self) -> None:
        """Let the worker look for work again."""
        self._wakeup.set()

    def _count_busy(self) -> None:
        _LOGGER.warning("Synthesis queue full: request rejected with busy")

    def _next_job(self) -> Job | None:
        """Round-robin: the next job after the last one served that has work."""
        n = len(self._jobs)
        for step in range(n):
            index = (self._cursor + step) % n
            job = self._jobs[index]
            if job.ready:
                self._cursor = index + 1
                return job
        return None

    def _thread_stuck(self) -> bool:
        """True while a sentence that timed out still runs in the model thread.

        on_idle must not be queued behind it: the worker would wait for the
        stuck sentence and stop failing new requests with timeout.
        """
        return self._abandoned is not None and not self._abandoned.done()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = self._next_job()
            if job is None:
                self._wakeup.clear()
                if self._on_idle is not None and self._idle_pending and not self._thread_stuck():
                    self._idle_pending = False
                    await loop.run_in_executor(self._executor, self._on_idle)
                    continue  # work may have arrived meanwhile
                await self._wakeup.wait()
                continue
            self._idle_pending = True
            sentence = job.take()
            self._queued -= 1
            self._running = job
            work = self._executor.submit(self._synthesize, sentence, job.voice, job.speed)
            future = asyncio.wrap_future(work)
            error: KokoroError | None = None
            audio: list[np.ndarray] = []
            try:
                audio = await asyncio.wait_for(
                    asyncio.shield(future), self._settings.sentence_timeout
                )
            except asyncio.TimeoutError:
                self.stats.timeouts += 1
                error = SynthesisTimeoutError(
                    f"a sentence took longer than {self._settings.sentence_timeout:g} s"
                )
                _LOGGER.error("Job %s: sentence timed out after %.1f s; moving on",
                              job.id, self._settings.sentence_timeout)
                if work.cancel():
                    # It never started: the thread is stuck on an earlier sentence.
                    # Running it later would only push newer requests past their
                    # own timeouts.
                    error = SynthesisTimeoutError(
                        "the model is still busy with a sentence that timed out"
                    )
                else:
                    # The thread cannot be interrupted; its result is dropped when it ends.
                    self._abandoned = work
                    future.add_done_callback(_log_late_failure)
                    # Run on_idle once the thread is free again.
                    future.add_done_callback(lambda _: self.wake())
            except KokoroError as err:
                error = err
            except Exception as err:  # the model may raise anything; one request fails
                _LOGGER.exception("Job %s: synthesis failed", job.id)
                error = SynthesisError(f"synthesis failed: {type(err).__name__}: {err}")
            finally:
                self._running = None
            if error is not None:
                self.stats.by_error[error.code] = self.stats.by_error.get(error.code, 0) + 1
                self.finish(job, error)
                continue
            if job.finished:
                continue  # cancelled while its sentence ran: the audio is dropped
            job.put(audio)
            self.settle(job)


def _log_late_failure(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        _LOGGER.warning("Abandoned sentence failed later: %s", future.exception())
