"""Parsers for the plan language's small value syntaxes: durations, estimates, percentages,
dates, date ranges, money, rates and ids.

Each parser raises :class:`ValueProblem` with a stable code and a hint; the schema turns that into
a validation error at the value's position.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ontrack.checks.limits import (
    HORIZON_TEXT,
    MAX_MONEY,
    MAX_WORK_DAYS,
    MIN_ALLOCATION,
    MONEY_DECIMALS,
    in_horizon,
)
from ontrack.model.quantities import Duration, Rate, RateUnit


class ValueProblem(ValueError):
    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


_MAX_AMOUNT = {  # the most of each unit, whatever the calendar (the builder checks exactly)
    "m": MAX_WORK_DAYS * 24 * 60,
    "h": MAX_WORK_DAYS * 24,
    "d": MAX_WORK_DAYS,
    "w": MAX_WORK_DAYS // 5,
}

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_DURATION_RE = re.compile(
    r"^\s*(?P<sign>[-+])?\s*(?P<num>\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<unit>m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|wks|weeks?)\s*$",
    re.IGNORECASE,
)
_UNITS = {"m": "m", "h": "h", "d": "d", "w": "w"}


@dataclass(frozen=True, slots=True)
class DurationText:
    """A duration as written (``1.5d``): resolved to minutes once the calendar is known."""

    amount: Fraction
    unit: str  # m | h | d | w

    def to_duration(self, hours_per_day: Fraction, days_per_week: int) -> Duration:
        per_unit = {
            "m": Fraction(1),
            "h": Fraction(60),
            "d": 60 * hours_per_day,
            "w": 60 * hours_per_day * days_per_week,
        }[self.unit]
        return Duration(round(self.amount * per_unit))

    def __str__(self) -> str:
        amount = self.amount
        text = str(amount.numerator) if amount.denominator == 1 else str(float(amount))
        return f"{text}{self.unit}"


@dataclass(frozen=True, slots=True)
class EstimateText:
    """``8d`` or ``5d/8d/15d`` as written."""

    optimistic: DurationText
    likely: DurationText
    pessimistic: DurationText

    @property
    def is_single(self) -> bool:
        return self.optimistic == self.likely == self.pessimistic


def parse_duration(
    value: Any, *, allow_negative: bool = False, what: str = "duration"
) -> DurationText:
    if isinstance(value, str):
        return _duration_from_text(value, allow_negative, what)
    if isinstance(value, bool) or value is None:
        raise ValueProblem(
            "E110",
            f"{what} must be working time such as 3d, 4h or 2w",
            "write a number with a unit: m, h, d or w",
        )
    if isinstance(value, int | float):
        if value == 0:
            return DurationText(Fraction(0), "d")
        raise ValueProblem(
            "E110",
            f"{what} {value!r} has no unit",
            f"add a unit, e.g. {value}d for working days or {value}h for hours",
        )
    raise ValueProblem(
        "E110",
        f"{what} must be text such as 3d, not {kind_of(value)}",
        "write a number with a unit: m, h, d or w",
    )


@functools.lru_cache(maxsize=8192)  # plans repeat a few dozen spellings thousands of times
def _duration_from_text(value: str, allow_negative: bool, what: str) -> DurationText:
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueProblem(
            "E110",
            f"'{value}' is not a valid {what}",
            "write a number with a unit, e.g. 90m, 4h, 3d, 1.5d or 2w",
        )
    amount = Fraction(match["num"])
    if match["sign"] == "-":
        if not allow_negative:
            raise ValueProblem(
                "E110", f"{what} '{value}' is negative", "only lags may be negative (a lead)"
            )
        amount = -amount
    unit = _UNITS[match["unit"][0].lower()]
    if abs(amount) > _MAX_AMOUNT[unit]:
        raise ValueProblem(
            "E110",
            f"{what} '{value.strip()}' is longer than {MAX_WORK_DAYS}d (ten years of working days)",
            "split the work into tasks, or check the number",
        )
    return DurationText(amount, unit)


def parse_estimate(value: Any, what: str = "estimate") -> EstimateText:
    if isinstance(value, str):
        return _estimate_from_text(value, what)
    single = parse_duration(value, what=what)
    return EstimateText(single, single, single)


@functools.lru_cache(maxsize=8192)
def _estimate_from_text(value: str, what: str) -> EstimateText:
    if "/" in value:
        parts = value.split("/")
        if len(parts) != 3:
            raise ValueProblem(
                "E111",
                f"{what} '{value}' has {len(parts)} parts; a three-point estimate has 3",
                "write optimistic/likely/pessimistic, e.g. 5d/8d/15d",
            )
        o, m, p = (parse_duration(x, what=what) for x in parts)
        return EstimateText(o, m, p)
    single = parse_duration(value, what=what)
    return EstimateText(single, single, single)


def parse_percent(value: Any, what: str = "percentage", *, maximum: int = 100) -> Fraction:
    """``30%`` or a number from 0 to 1, as an exact fraction."""
    if isinstance(value, bool) or value is None:
        raise ValueProblem("E113", f"{what} must be a percentage such as 30%", "write e.g. 30%")
    if isinstance(value, int | float):
        fraction = Fraction(str(value))
        if not 0 <= fraction <= 1:
            raise ValueProblem(
                "E113",
                f"{what} {value} is ambiguous",
                f"write it with a percent sign, e.g. {value}%",
            )
        return fraction
    text = str(value).strip()
    if not text.endswith("%"):
        raise ValueProblem("E113", f"'{text}' is not a percentage", "write e.g. 30%")
    try:
        fraction = Fraction(text[:-1].strip()) / 100
    except (ValueError, ZeroDivisionError):
        raise ValueProblem("E113", f"'{text}' is not a percentage", "write e.g. 30%") from None
    if not 0 <= fraction <= Fraction(maximum, 100):
        raise ValueProblem(
            "E113", f"{what} {text} is outside 0%..{maximum}%", f"use a value from 0% to {maximum}%"
        )
    return fraction


def parse_allocation(value: Any) -> Fraction:
    """A share of someone's time: 0% (none), or 1% to 100%."""
    share = parse_percent(value, "allocation")
    if 0 < share < MIN_ALLOCATION:
        raise ValueProblem(
            "E113",
            f"allocation {value} is below {MIN_ALLOCATION * 100}%",
            "write at least 1%, or 0% for someone with no time on the program",
        )
    return share


def parse_uncertainty(value: Any) -> tuple[Fraction, Fraction]:
    """``20%`` (either way) or ``-10%/+50%``: how far below and above a single-point estimate
    the work may turn out. Returns (below, above) as fractions of the estimate."""
    hint = "write e.g. 20% or -10%/+50%"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueProblem("E113", "uncertainty must be a percentage such as 20%", hint)
    text = str(value).strip()
    parts = text.split("/")
    if len(parts) == 1:
        both = parse_percent(value, "uncertainty", maximum=100)
        return both, both
    if (
        len(parts) != 2
        or not parts[0].strip().startswith("-")
        or not parts[1].strip().startswith("+")
    ):
        raise ValueProblem("E113", f"'{text}' is not an uncertainty range", hint)
    below = parse_percent(parts[0].strip()[1:], "uncertainty below", maximum=100)
    above = parse_percent(parts[1].strip()[1:], "uncertainty above", maximum=1000)
    return below, above


def parse_date(value: Any, what: str = "date") -> dt.date:
    day = _day(value, what)
    if not in_horizon(day):
        raise ValueProblem(
            "E114",
            f"{what} {day} is outside {HORIZON_TEXT}",
            "check the year; plans hold dates from 1900 to 2200",
        )
    return day


def _day(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueProblem("E114", f"{what} has a time of day", "plans use whole days: 2026-03-02")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueProblem(
        "E114", f"'{value}' is not a valid {what}", "write an ISO date that exists, e.g. 2026-03-02"
    )


def parse_date_range(value: Any, what: str = "date range") -> tuple[dt.date, dt.date]:
    """``2026-02-09..2026-02-13`` (inclusive) or a single date."""
    if isinstance(value, str) and ".." in value:
        first, _, last = value.partition("..")
        start, end = _day(first, what), _day(last, what)
        if end < start:
            raise ValueProblem(
                "E115", f"{what} '{value}' ends before it starts", f"swap the dates: {end}..{start}"
            )
        if not (in_horizon(start) and in_horizon(end)):
            raise ValueProblem(
                "E115",
                f"{what} '{value.strip()}' reaches outside {HORIZON_TEXT}",
                "check the years; plans hold dates from 1900 to 2200",
            )
        return start, end
    if isinstance(value, str | dt.date):
        try:
            day = _day(value, what)
        except ValueProblem:
            raise ValueProblem(
                "E115",
                f"'{value}' is not a date or a date range",
                "write 2026-02-09..2026-02-13 or a single date",
            ) from None
        if not in_horizon(day):
            raise ValueProblem(
                "E115",
                f"{what} {day} is outside {HORIZON_TEXT}",
                "check the year; plans hold dates from 1900 to 2200",
            )
        return day, day
    raise ValueProblem(
        "E115",
        f"{what} must be text such as 2026-02-09..2026-02-13",
        "write start..end with ISO dates, or a single date",
    )


def parse_money(value: Any, what: str = "amount") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueProblem("E116", f"{what} must be a number", "write e.g. 25000")
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(
            "E116",
            f"'{value}' is not an amount of money",
            "write a plain number in the program's currency, e.g. 25000",
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueProblem("E116", f"{what} '{value}' must be a positive number")
    exponent = amount.as_tuple().exponent  # an int: the amount is finite
    if amount > MAX_MONEY or (amount and isinstance(exponent, int) and exponent < -MONEY_DECIMALS):
        # Beyond these, costs summed over a plan and rounded to cents leave Decimal's
        # precision (a report or an export would fail); no real budget is near them.
        raise ValueProblem(
            "E116",
            f"{what} '{value}' is outside 0..{MAX_MONEY:,} with at most {MONEY_DECIMALS} decimals",
            "check the number of digits",
        )
    return amount


_RATE_UNITS = {
    "h": RateUnit.HOUR,
    "hr": RateUnit.HOUR,
    "hour": RateUnit.HOUR,
    "d": RateUnit.DAY,
    "day": RateUnit.DAY,
}


def parse_rate(value: Any) -> Rate:
    """``850/day`` or ``110/hour``."""
    if isinstance(value, str) and "/" in value:
        amount_text, _, unit = value.partition("/")
        unit_key = unit.strip().lower()
        if unit_key in _RATE_UNITS:
            return Rate(parse_money(amount_text, "rate"), _RATE_UNITS[unit_key])
    raise ValueProblem(
        "E116",
        f"rate {value!r} needs a unit",
        "write an amount per day or per hour, e.g. 850/day or 110/hour",
    )


def parse_id(value: Any, what: str = "id") -> str:
    if isinstance(value, bool) or value is None or not isinstance(value, str | int):
        raise ValueProblem(
            "E117",
            f"{what} must be a short name such as api-design",
            "use letters, digits, '-', '_' and '.'",
        )
    text = str(value)
    if not ID_RE.match(text):
        raise ValueProblem(
            "E117",
            f"'{text}' is not a valid {what}",
            "start with a letter or digit; use only letters, digits, '-', '_', '.'",
        )
    return text


def kind_of(value: Any) -> str:
    """How a YAML value reads to a user: mapping, list, text, number, date, …"""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    if value is None:
        return "nothing"
    return "text"
