"""The single synthesis worker: one model thread, fair round-robin, bounds.

Every request opens a Job and submits sentences to it. One asyncio task picks
the next sentence round-robin across jobs and runs it in the one model thread,
so the model is never used by two requests at once, the event loop never
blocks, and a one-sentence request waits for at most the sentence now running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count

import numpy as np

from .config import SynthesisSettings
from .errors import (
    BusyError,
    KokoroError,
    ShuttingDownError,
    SynthesisError,
    SynthesisTimeoutError,
)
from .voices import VoiceChoice

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
    """Counters for logs, tests and benchmarks."""

    sentences: int = 0
    failures: int = 0
    timeouts: int = 0
    discarded: int = 0
    busy_rejections: int = 0
    model_seconds: float = 0.0
    by_error: dict[str, int] = field(default_factory=dict)


class Job:
    """One request's sentences in the queue and the audio that comes back."""

    def __init__(self, scheduler: Scheduler, job_id: int, voice: VoiceChoice, speed: float) -> None:
        self.id = job_id
        self.voice = voice
        self.speed = speed
        self._scheduler = scheduler
        self.pending: deque[str] = deque()
        self._results: asyncio.Queue[list[np.ndarray] | _Done] = asyncio.Queue()
        self.input_closed = False
        self.finished = False
        self.unread = 0

    def submit(self, sentence: str) -> None:
        """Queue one sentence; raises BusyError when the queue is full."""
        if self.finished:
            return
        self._scheduler._enqueue(self, sentence)

    def close_input(self) -> None:
        """No more sentences will come; results end after the last one."""
        if self.input_closed:
            return
        self.input_closed = True
        self._scheduler._maybe_finish(self)

    def cancel(self) -> None:
        """Drop queued sentences and discard the one running, if any."""
        self._scheduler._cancel(self)

    async def results(self) -> AsyncIterator[np.ndarray]:
        """Audio arrays in sentence order; raises the job's error if it failed."""
        while True:
            item = await self._results.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            self.unread -= 1
            self._scheduler._wake()
            for audio in item:
                yield audio

    def _deliver(self, item: list[np.ndarray] | _Done) -> None:
        if not isinstance(item, _Done):
            self.unread += 1
        self._results.put_nowait(item)


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

    @property
    def busy(self) -> bool:
        return self._running is not None

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
            self._finish(job, ShuttingDownError("the server is shutting down"))
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)
        return cancelled

    # -- used by Job -------------------------------------------------------

    def _enqueue(self, job: Job, sentence: str) -> None:
        if self._queued >= self._settings.max_queued_sentences:
            self._count_busy()
            raise BusyError(
                f"{self._queued} sentences are already queued (max_queued_sentences)"
            )
        job.pending.append(sentence)
        self._queued += 1
        self._wake()

    def _maybe_finish(self, job: Job) -> None:
        if job.input_closed and not job.pending and self._running is not job:
            self._finish(job, None)

    def _cancel(self, job: Job) -> None:
        if job.finished:
            return
        dropped = len(job.pending)
        self._finish(job, None)
        if dropped:
            _LOGGER.debug("Job %s cancelled, %s queued sentences dropped", job.id, dropped)

    def _finish(self, job: Job, error: KokoroError | None) -> None:
        if job.finished:
            return
        job.finished = True
        self._queued -= len(job.pending)
        job.pending.clear()
        if job in self._jobs:
            index = self._jobs.index(job)
            self._jobs.remove(job)
            if index < self._cursor:
                self._cursor -= 1
        job._deliver(_Done(error))

    def _count_busy(self) -> None:
        self.stats.busy_rejections += 1
        _LOGGER.warning("Synthesis queue full: request rejected with busy")

    def _wake(self) -> None:
        self._wakeup.set()

    def _next_job(self) -> Job | None:
        """Round-robin: the next job after the last one served that has work."""
        n = len(self._jobs)
        for step in range(n):
            index = (self._cursor + step) % n
            job = self._jobs[index]
            if job.pending and job.unread < MAX_UNREAD:
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
            sentence = job.pending.popleft()
            self._queued -= 1
            self._running = job
            started = time.perf_counter()
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
                    future.add_done_callback(lambda _: self._wake())
            except KokoroError as err:
                error = err
            except Exception as err:  # the model may raise anything; one request fails
                _LOGGER.exception("Job %s: synthesis failed", job.id)
                error = SynthesisError(f"synthesis failed: {type(err).__name__}: {err}")
            finally:
                self._running = None
            elapsed = time.perf_counter() - started
            self.stats.model_seconds += elapsed
            if error is not None:
                self.stats.failures += 1
                self.stats.by_error[error.code] = self.stats.by_error.get(error.code, 0) + 1
                self._finish(job, error)
                continue
            self.stats.sentences += 1
            if job.finished:
                self.stats.discarded += 1
                continue
            job._deliver(audio)
            self._maybe_finish(job)


def _log_late_failure(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        _LOGGER.warning("Abandoned sentence failed later: %s", future.exception())
