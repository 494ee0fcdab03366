"""What every fuzz target asserts: outside input ends in a result or coded diagnostics, never an
internal error, a hang or unbounded memory.

Profiles (``ONTRACK_FUZZ_PROFILE``): ``ci`` (the default: derandomised, 400 cases per
target, so `make test` stays fast and repeatable) and ``deep`` (random, many cases; `make fuzz`
and bench/fuzz.py run it for as long as they are given). Each case runs under a wall-clock bound
(``ONTRACK_FUZZ_CASE_SECONDS``, 30 s) and the process's peak memory is checked after it.
"""

from __future__ import annotations

import os
import re
import resource
import signal
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings

from ontrack.diagnostics import Diagnostic

CODE = re.compile(r"^[EWR]\d{3}$")
CASE_SECONDS = float(os.environ.get("ONTRACK_FUZZ_CASE_SECONDS", "30"))
PEAK_BYTES = int(os.environ.get("ONTRACK_FUZZ_PEAK_MB", "6000")) * 1024 * 1024
CASES: Counter[str] = Counter()  # cases run per target (bench/fuzz.py reports them)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=int(os.environ.get("ONTRACK_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
settings.register_profile(
    "deep",
    max_examples=int(os.environ.get("ONTRACK_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    # No shrinking in a long campaign: a failure is reported as found, at once, instead of
    # spending minutes making it smaller (re-run it in the ci profile to shrink it).
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=list(HealthCheck),
    database=None,
)
PROFILE = settings.get_profile(os.environ.get("ONTRACK_FUZZ_PROFILE", "ci"))

T = TypeVar("T")


class Hang(Exception):
    """A case ran past its bound."""


@contextmanager
def bounded(target: str, seconds: float = CASE_SECONDS) -> Iterator[None]:
    """Count the case, fail it when it runs past ``seconds`` or memory passes the peak."""
    CASES[target] += 1

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"{target}: a case ran past {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < PEAK_BYTES, f"{target}: peak memory {peak / 2**20:.0f} MiB"


def coded(diagnostics: Sequence[Diagnostic]) -> None:
    """Every diagnostic has a stable code and a message."""
    for d in diagnostics:
        assert isinstance(d, Diagnostic), d
        assert CODE.match(d.code), d
        assert d.message, d


def either(result: T | None, diagnostics: Sequence[Diagnostic]) -> T | None:
    """A result, or errors that say why there is none."""
    coded(diagnostics)
    if result is None:
        assert any(d.is_error for d in diagnostics), "no result and no error to say why"
    return result


def run(target: str, case: Callable[[], None]) -> None:
    with bounded(target):
        case()
