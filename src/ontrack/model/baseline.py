"""Tracking records: a task as a baseline froze it. The store keeps them (and reads them back into
these records once), the baseline command writes them from a schedule, the engines and the
reports read them; so they live with the model, which imports nothing of theirs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class BaselineTask:
    """One task of a baseline's frozen schedule: its dates, working days and planned cost."""

    start: dt.date
    finish: dt.date
    days: int  # working days between start and finish (0: a milestone)
    cost: Decimal = Decimal(0)  # planned cost (0 when the program has no rates)
    summary: bool = False
    milestone: bool = False
