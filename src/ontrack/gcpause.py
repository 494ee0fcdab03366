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
