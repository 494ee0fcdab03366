"""The report's templates and their filters: one Jinja environment (autoescaping, strict
undefined) shared by the HTML report, the go/no-go page, the release calendar and the web app,
so every document formats dates, odds and money the same way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ontrack.reports.data import MilestoneRow, days_text

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# -- formatting ---------------------------------------------------------------------------------


def fdate(day: dt.date | None) -> str:
    """27 Mar 2026: unambiguous on both sides of the Atlantic."""
    return "—" if day is None else f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def fpct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def fmoney(value: float | Decimal | None, currency: str = "") -> str:
    if value is None:
        return "—"
    text = f"{float(value):,.0f}"
    return f"{text} {currency}".strip()


def fdays(value: float | None) -> str:
    return "—" if value is None else f"{days_text(value)} d"


def chance_class(value: float | None) -> str:
    """The colour of an on-time chance, with the RAG rules' default limits."""
    if value is None:
        return "na"
    return "good" if value >= 0.8 else "warn" if value >= 0.5 else "bad"


@cache
def env() -> Environment:
    env = Environment(
        loader=PackageLoader("ontrack.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        date=fdate,
        pct=fpct,
        money=fmoney,
        days=fdays,
        chance=chance_class,
        cap=_capital,
        mstatus=milestone_status,
    )
    return env


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(template: str, **context: object) -> Markup:
    return Markup(env().get_template(template).render(**context))


def render_template(template: str, **context: object) -> str:
    """One of the report's templates, with its filters and escaping (other documents, such as
    the go/no-go page, share the report's look)."""
    return str(render(template, **context))


def milestone_status(m: MilestoneRow) -> str:
    """A few words for the table's last column."""
    if m.done:
        return "done"
    late = m.p80_late_days
    if late is None:
        return ""
    return f"{late} d late at P80" if late > 0 else f"{-late} d to spare at P80"
