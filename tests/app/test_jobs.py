"""Background jobs (ontrack.app.jobs): one per key at a time, progress, results and errors."""

from __future__ import annotations

import threading

import pytest

from ontrack.app.jobs import Jobs


def test_a_second_request_for_the_same_work_joins_the_first() -> None:
    jobs = Jobs(workers=2)
    gate = threading.Event()
    calls: list[int] = []

    def work(progress):
        calls.append(1)
        progress(0.5)
        gate.wait(5)
        return 42

    first = jobs.submit("k", "assessing", work)
    second = jobs.submit("k", "assessing", work)
    assert second is first and first.state == "running"
    other = jobs.submit("other", "assessing", lambda progress: 7)
    assert other.result(5) == 7 and other.state == "done"
    gate.set()
    assert first.result(5) == 42 and calls == [1]
    assert first.to_json()["fraction"] == 1.0 and first.to_json()["state"] == "done"
    assert jobs.get(first.id) is first and jobs.get("nope") is None
    again = jobs.submit("k", "assessing", lambda progress: 43)
    assert again is not first and again.result(5) == 43  # finished work is not joined
    jobs.close()


def test_a_failed_job_keeps_its_error() -> None:
    jobs = Jobs(workers=1)

    def boom(progress):
        raise ValueError("bad plan")

    job = jobs.submit("k", "x", boom)
    with pytest.raises(ValueError, match="bad plan"):
        job.result(5)
    assert job.state == "failed" and isinstance(job.error, ValueError)
    assert not jobs.running()
    jobs.close()
