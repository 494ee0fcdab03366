"""Pausing Python's cyclic garbage collector around allocation-heavy work.

Reading a plan allocates hundreds of thousands of small objects and frees almost none; the
collector would scan them again and again (60 % of a 10,000-task load) to find nothing. The
pause is reentrant and thread-safe: the collector comes back when the last pause ends, and only
if it was on before the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled  # noqa: PLW0603 - process-wide state is the point here
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def settle() -> None:
    """Collect once, then keep everything alive now out of the collector's sight (a server's
    cached assessments): its full collections would otherwise walk those large, long-lived
    graphs again and again, pausing every request (p95 199 -> 125 ms on a 1,000-task
    dashboard, bench/web.py). What was kept before is looked at again first, so what has been
    dropped since (an evicted assessment) is freed."""
    with _lock:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
