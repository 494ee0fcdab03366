"""The bounds of options that several commands share, so each refuses the same values the same
way (a usage error, exit 2) before any engine sees them: seeds and as-of dates."""

from __future__ import annotations

import datetime as dt

import typer

from ontrack.checks.limits import HORIZON_TEXT, in_horizon

#: Seeds are what numpy's and the solvers' generators take: 0 .. 2**32 - 1.
SEED_MIN, SEED_MAX = 0, 2**32 - 1


def as_of_in_horizon(value: dt.datetime | None) -> dt.datetime | None:
    """Typer callback: an as-of (status) date must lie in the plan horizon, as plan dates do."""
    if value is not None and not in_horizon(value.date()):
        raise typer.BadParameter(f"{value.date()} is outside {HORIZON_TEXT}")
    return value


def day_option(text: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option's value inside the horizon, or a usage error (exit 2) naming it."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} '{text}' is not a date (YYYY-MM-DD)") from None
    if not in_horizon(day):
        raise typer.BadParameter(f"{option} '{text}' is outside {HORIZON_TEXT}")
    return day
