"""Exact quantities: working durations, estimates, rates.

Durations are whole working minutes, never floats of days: a 10,000-task plan summed over years
must not drift. A "day" is the program calendar's working day (``hours_per_day``), so the same
plan text means the same work whatever engine reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

MINUTES_PER_HOUR = 60


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """An amount of working time, in whole minutes (negative for leads)."""

    minutes: int

    def days(self, hours_per_day: Fraction | int) -> Fraction:
        """Exact number of working days for a calendar of ``hours_per_day``."""
        return Fraction(self.minutes, MINUTES_PER_HOUR) / Fraction(hours_per_day)

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.minutes + other.minutes)

    def __neg__(self) -> Duration:
        return Duration(-self.minutes)

    def __bool__(self) -> bool:
        return self.minutes != 0

    def format(self, hours_per_day: Fraction | int = 8) -> str:
        """The shortest exact plan-language spelling: ``3d``, ``4h``, ``1.5d``, ``90m``."""
        if self.minutes == 0:
            return "0d"
        days = self.days(hours_per_day)
        if days.denominator in (1, 2, 4):
            return f"{_plain(days)}d"
        hours = Fraction(self.minutes, MINUTES_PER_HOUR)
        if hours.denominator in (1, 2, 4):
            return f"{_plain(hours)}h"
        return f"{self.minutes}m"


ZERO = Duration(0)


def _plain(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f").rstrip("0")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A three-point estimate; a single-point estimate has all three equal."""

    optimistic: Duration
    likely: Duration
    pessimistic: Duration

    @classmethod
    def single(cls, value: Duration) -> Estimate:
        return cls(value, value, value)

    @property
    def is_single(self) -> bool:
        return self.optimistic == self.likely == self.pessimistic

    @property
    def pert_mean_minutes(self) -> Fraction:
        """PERT mean (o + 4m + p) / 6, exact."""
        total = self.optimistic.minutes + 4 * self.likely.minutes + self.pessimistic.minutes
        return Fraction(total, 6)

    def format(self, hours_per_day: Fraction | int = 8) -> str:
        if self.is_single:
            return self.likely.format(hours_per_day)
        parts = (self.optimistic, self.likely, self.pessimistic)
        return "/".join(p.format(hours_per_day) for p in parts)


class RateUnit(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Rate:
    """What an hour or a day of someone's time costs, in the program's currency."""

    amount: Decimal
    per: RateUnit

    def per_minute(self, hours_per_day: Fraction | int) -> Decimal:
        minutes = Fraction(MINUTES_PER_HOUR)
        if self.per is RateUnit.DAY:
            minutes *= Fraction(hours_per_day)
        return self.amount * Decimal(minutes.denominator) / Decimal(minutes.numerator)

    def __str__(self) -> str:
        return f"{self.amount}/{self.per.value}"
