"""The ranges every value of a plan lies in, so that whatever a plan says, the engines can
compute with it: a schedule decades long, a forecast's tail, a report's axis all stay dates.

The plan parser refuses values outside them where they are written (E110, E113, E114, E115);
the checks hold imported plans and whole plans to them (E114, E227).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

#: The horizon of every date a plan may hold (and of the day it is assessed as of).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)
HORIZON_TEXT = f"{EARLIEST_DATE}..{LATEST_DATE}"
#: How far a task's, risk's, release's or RAID entry's date may lie from the program's start.
YEARS_FROM_START = 50
#: The most working time one duration may hold (an estimate, a duration, a lag, an impact, the
#: work remaining): ten years of five-day weeks. Longer is a typo, or work to split into tasks.
MAX_WORK_DAYS = 2600
#: The largest amount of money (a budget, a cost, a rate) and its most decimals: a trillion
#: leaves room for any program's totals within Decimal's 28 digits at cent precision.
MAX_MONEY = 10**12
MONEY_DECIMALS = 6
#: The smallest share of someone's time that does work (0% is allowed: no time at all).
MIN_ALLOCATION = Fraction(1, 100)
#: The latest day a plan's work may reach, done one task after another at its slowest: far
#: past any real program, and far enough from the end of the calendar (9999-12-31) that every
#: date an engine or a report derives from it is still a date.
LATEST_REACHABLE = dt.date(9000, 1, 1)


def in_horizon(day: dt.date) -> bool:
    """Whether a date lies in the horizon every date of a plan lies in."""
    return EARLIEST_DATE <= day <= LATEST_DATE
