"""Tracking records: what was reported of a task on a status date. The store keeps them, the
progress files and the trackers produce them, the engines read them; so they live with the model,
which imports nothing of theirs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: The most a fact's numbers may be (exclusive): what every store keeps exactly, to the cent and
#: to a ten-thousandth of a day (tests hold the store's columns to them). Work remaining is held
#: to what one task may hold at all (ontrack.checks.limits.MAX_WORK_DAYS, ten years; a test
#: keeps them equal): more is a typo, and would plan work past the end of the calendar.
MAX_ACTUAL_COST = Decimal(10) ** 13
MAX_REMAINING_DAYS = Decimal(2601)


@dataclass(frozen=True, slots=True)
class ProgressFact:
    """What was true of a task on a status date."""

    task_id: str
    status_date: dt.date
    actual_start: dt.date | None = None
    actual_finish: dt.date | None = None
    percent_complete: Decimal | None = None  # 0..100
    remaining_days: Decimal | None = None
    actual_cost: Decimal | None = None
    note: str = ""
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        def text(value: object) -> str | None:
            return None if value is None else str(value)

        return {
            "task": self.task_id,
            "status_date": self.status_date.isoformat(),
            "actual_start": text(self.actual_start),
            "actual_finish": text(self.actual_finish),
            "percent_complete": text(self.percent_complete),
            "remaining_days": text(self.remaining_days),
            "actual_cost": text(self.actual_cost),
            "note": self.note,
            "source": self.source,
        }
