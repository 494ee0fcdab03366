"""Where things come from, and what is wrong with them.

Errors are values: loaders and checks return diagnostics instead of raising, so one pass can
report every problem, and the CLI, the web app and the tests all read the same records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ontrack.safetext import tidy_message


@dataclass(frozen=True, slots=True, order=True)
class SourceLoc:
    """A place a record came from: a file (or an import element, or a tracker URL) and a position.

    ``line`` and ``col`` are 1-based; 0 means "not known" (a whole file, a URL).
    """

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.col <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN_LOC = SourceLoc("<unknown>")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a plan.

    ``code`` is stable across releases (tests and users' scripts match on it, never on the
    wording); ``subjects`` names the records involved (ids) so tools can group and filter.
    """

    code: str
    severity: Severity
    loc: SourceLoc
    message: str
    hint: str = ""
    subjects: tuple[str, ...] = ()
    related: tuple[SourceLoc, ...] = field(default=())

    def __post_init__(self) -> None:
        # Messages quote user text: a megabyte id is clipped (with its length) and control and
        # invisible characters (an escape sequence, a bidi override) are shown, here, once, so
        # every way a diagnostic is printed (text, JSON, HTML) is safe and short. The code,
        # subjects and places are kept as they are.
        object.__setattr__(self, "message", tidy_message(self.message))
        object.__setattr__(self, "hint", tidy_message(self.hint))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """``file:line:col: error E104 message`` plus indented hint and related places."""
        lines = [f"{self.loc}: {self.severity.value} {self.code} {self.message}"]
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        lines.extend(f"    see: {rel}" for rel in self.related)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.loc.file,
            "line": self.loc.line,
            "col": self.loc.col,
            "message": self.message,
            "hint": self.hint,
            "subjects": list(self.subjects),
            "related": [str(r) for r in self.related],
        }


def error(
    code: str,
    loc: SourceLoc,
    message: str,
    hint: str = "",
    subjects: Sequence[str] = (),
    related: Sequence[SourceLoc] = (),
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, loc, message, hint, tuple(subjects), tuple(related))


def warning(
    code: str,
    loc: SourceLoc,
    message: str,
    hint: str = "",
    subjects: Sequence[str] = (),
    related: Sequence[SourceLoc] = (),
) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, loc, message, hint, tuple(subjects), tuple(related))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.loc.file, d.loc.line, d.loc.col, d.code)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable reading order: by file, then position, then code."""
    return sorted(diagnostics, key=sort_key)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], indent=2)
