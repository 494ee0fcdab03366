"""A release's go/no-go sign-off, as the store keeps it (append-only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Decision = Literal["go", "no-go"]


@dataclass(frozen=True, slots=True)
class SignOff:
    """Who signed a release, in which role, what they decided, on which plan revision, when."""

    release: str
    role: str  # lower case, as the release's ``signoffs`` list names roles
    name: str
    decision: Decision
    signed_at: dt.datetime
    revision: int | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "role": self.role,
            "name": self.name,
            "decision": self.decision,
            "signed_at": self.signed_at.isoformat(),
            "revision": self.revision,
            "note": self.note,
        }
