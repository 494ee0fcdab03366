"""Long work in the background: a forecast of a big program or a tracker sync runs on a worker
thread while the page shows its progress. One job per key at a time: a second request for the
same work joins the first instead of starting it again."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

JobState = Literal["running", "done", "failed"]

#: Finished jobs are kept this long (seconds) so a page polling for one still finds it.
KEEP_SECONDS = 600.0


@dataclass(slots=True)
class Job:
    """One piece of background work; ``fraction`` moves from 0 to 1 while it runs."""

    id: str
    key: Hashable
    label: str
    future: Future[Any]
    started: float = field(default_factory=time.monotonic)
    fraction: float = 0.0
    finished: float | None = None
    program: str | None = None  # whose job it is: only those who may see it see its progress

    @property
    def state(self) -> JobState:
        if not self.future.done():
            return "running"
        return "failed" if self.future.exception() is not None else "done"

    @property
    def error(self) -> BaseException | None:
        return self.future.exception() if self.future.done() else None

    def result(self, timeout: float | None = None) -> Any:
        return self.future.result(timeout)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "state": self.state,
            "fraction": round(1.0 if self.state == "done" else self.fraction, 3),
            "seconds": round((self.finished or time.monotonic()) - self.started, 2),
        }


class Jobs:
    """A small pool of worker threads with jobs looked up by id or by key."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ontrack-job")
        self._lock = threading.Lock()
        self._by_id: dict[str, Job] = {}
        self._by_key: dict[Hashable, Job] = {}

    def submit(
        self,
        key: Hashable,
        label: str,
        work: Callable[[Callable[[float], None]], Any],
        *,
        program: str | None = None,
    ) -> Job:
        """Run ``work(progress)`` unless a job for ``key`` is running already (then that one
        is returned); ``progress`` takes the fraction done."""
        with self._lock:
            self._forget_old()
            running = self._by_key.get(key)
            if running is not None and running.state == "running":
                return running
            job_id = secrets.token_urlsafe(12)
            holder: dict[str, Job] = {}

            def progress(fraction: float) -> None:
                job = holder.get("job")
                if job is not None:
                    job.fraction = max(job.fraction, min(1.0, fraction))

            def run() -> Any:
                try:
                    return work(progress)
                finally:
                    job = holder.get("job")
                    if job is not None:
                        job.finished = time.monotonic()

            # The record exists before the work starts, so even work that ends at once has
            # its finish time (and is forgotten in time).
            job = Job(job_id, key, label, Future(), program=program)
            holder["job"] = job
            job.future = self._pool.submit(run)
            self._by_id[job_id] = job
            self._by_key[key] = job
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._by_id.get(job_id)

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._by_id.values() if j.state == "running"]

    def _forget_old(self) -> None:
        now = time.monotonic()
        for job_id, job in list(self._by_id.items()):
            if job.finished is not None and now - job.finished > KEEP_SECONDS:
                del self._by_id[job_id]
                if self._by_key.get(job.key) is job:
                    del self._by_key[job.key]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
