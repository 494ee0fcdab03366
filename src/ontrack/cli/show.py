"""``ontrack show``: what a plan holds, at a glance."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from ontrack.cli.output import (
    Format,
    add_column,
    counts_line,
    print_diagnostics,
    print_json,
    stderr,
    stdout,
)
from ontrack.engines.summary import PlanSummary, Work, summarise
from ontrack.interop.importer import load_any


def show(
    plan: Path = typer.Argument(..., help="A plan file, or a folder of plan files merged."),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Summarise a plan: totals of estimated work, teams, people, milestones, releases, risks.

    Work is in working days: "likely" sums what was estimated, "PERT" the expected value of
    three-point estimates, (optimistic + 4 × likely + pessimistic) / 6.

    Example: ontrack show examples/platform-migration --format json
    """
    result, diagnostics = load_any(plan)
    if result is None:
        print_diagnostics(diagnostics, stderr)
        stderr.print(f"[red]✗[/red] {plan}: {counts_line(diagnostics)}; run `ontrack check`")
        raise typer.Exit(1)
    summary = summarise(result)
    if fmt is Format.JSON:
        print_json(to_json(summary) | {"warnings": sum(not d.is_error for d in diagnostics)})
        return
    _print_tables(summary)
    if diagnostics:
        stdout.print(f"[yellow]{counts_line(diagnostics)}[/yellow] — see `ontrack check {plan}`")


def _days(value: Fraction) -> float:
    return round(float(value), 2)


def _work_json(work: Work) -> dict[str, Any]:
    return {
        "tasks": work.tasks,
        "optimistic_days": _days(work.optimistic),
        "likely_days": _days(work.likely),
        "pessimistic_days": _days(work.pessimistic),
        "pert_days": _days(work.pert),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def to_json(s: PlanSummary) -> dict[str, Any]:
    return {
        "program": {
            "name": s.name,
            "start": s.start.isoformat(),
            "currency": s.currency,
            "budget": _money(s.budget),
        },
        "counts": s.counts,
        "effort": _work_json(s.effort),
        "fixed_duration": _work_json(s.fixed_duration),
        "unestimated_tasks": s.unestimated,
        "teams": [
            {
                "id": t.id,
                "name": t.name,
                "members": t.members,
                "lead": t.lead,
                "tasks": t.tasks,
                "effort": _work_json(t.work),
            }
            for t in s.teams
        ],
        "people": [
            {
                "id": p.id,
                "name": p.name,
                "teams": list(p.teams),
                "skills": list(p.skills),
                "allocation": float(p.allocation),
                "rate": p.rate or None,
                "assigned_tasks": p.assigned,
                "working_days_off": p.days_off,
            }
            for p in s.people
        ],
        "milestones": [
            {
                "id": m.id,
                "title": m.title,
                "deadline": m.deadline.isoformat() if m.deadline else None,
            }
            for m in s.milestones
        ],
        "releases": [
            {
                "id": r.id,
                "title": r.title,
                "date": r.date.isoformat() if r.date else None,
                "includes": r.includes,
            }
            for r in s.releases
        ],
        "risks": [
            {
                "id": r.id,
                "title": r.title,
                "probability": float(r.probability),
                "impact_days": _days(r.impact_days) if r.impact_days is not None else None,
                "exposure_days": _days(r.exposure_days) if r.exposure_days is not None else None,
                "cost_exposure": _money(r.cost_exposure),
                "owner": r.owner,
                "status": r.status,
                "response": r.response,
            }
            for r in s.risks
        ],
        "exposure_days": _days(s.exposure_days),
        "cost_exposure": _money(s.cost_exposure),
    }


def _count(n: int, word: str, plural: str | None = None) -> str:
    """``1 team``, ``2 teams``, ``0 teams``."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _fmt_days(value: Fraction) -> str:
    return f"{float(value):,.1f}"


def _pct(value: Fraction) -> str:
    return f"{float(value) * 100:.0f}%"


def _print_tables(s: PlanSummary) -> None:
    c = s.counts
    budget = f" · budget {s.budget:,} {s.currency}" if s.budget is not None else ""
    stdout.print(f"[bold]{escape(s.name)}[/bold] — starts {s.start}{budget}")
    stdout.print(
        f"{_count(c['tasks'], 'task')} ({c['work_tasks']} work, {c['summary_tasks']} summary, "
        f"{_count(c['milestones'], 'milestone')}) · {_count(c['people'], 'person', 'people')} "
        f"in {_count(c['teams'], 'team')} · {_count(c['active_risks'], 'active risk')} · "
        f"{_count(c['releases'], 'release')}"
    )

    work = Table(title="Estimated work (working days)", title_justify="left")
    for col in ("", "tasks", "optimistic", "likely", "pessimistic", "PERT"):
        work.add_column(col, justify="left" if not col else "right")
    rows = [("all effort", s.effort)]
    rows += [(f"team {t.id}", t.work) for t in s.teams if t.work.tasks]
    if s.fixed_duration.tasks:
        rows.append(("fixed durations", s.fixed_duration))
    for label, w in rows:
        work.add_row(
            escape(label),
            str(w.tasks),
            _fmt_days(w.optimistic),
            _fmt_days(w.likely),
            _fmt_days(w.pessimistic),
            _fmt_days(w.pert),
        )
    stdout.print(work)
    if s.unestimated:
        have = "has" if s.unestimated == 1 else "have"
        stdout.print(f"[yellow]{_count(s.unestimated, 'task')} {have} no estimate[/yellow]")

    if s.people:
        # Nothing is scheduled here: a person's count is of the tasks that name them.
        by_skill = c.get("unassigned_tasks", 0)
        people = Table(
            title="People (named: tasks that name them as assignee; off: working days of time off)",
            title_justify="left",
            caption=f"{_count(by_skill, 'task')} {'names' if by_skill == 1 else 'name'} nobody: "
            "`ontrack schedule` assigns them to whoever has the skills"
            if by_skill
            else None,
            caption_justify="left",
        )
        for col in ("id", "name", "teams", "alloc", "rate", "named", "off", "skills"):
            add_column(people, col, wide=col == "skills", right=col in ("alloc", "named", "off"))
        for p in s.people:
            people.add_row(
                p.id,
                escape(p.name),
                ", ".join(p.teams),
                _pct(p.allocation),
                p.rate,
                str(p.assigned),
                str(p.days_off),
                escape(", ".join(p.skills)),
            )
        stdout.print(people)

    if s.milestones or s.releases:
        dates = Table(title="Milestones and releases", title_justify="left")
        for col in ("id", "kind", "date", "title"):
            add_column(dates, col, wide=col == "title")
        for m in s.milestones:
            dates.add_row(
                m.id, "milestone", f"due {m.deadline}" if m.deadline else "", escape(m.title)
            )
        for r in s.releases:
            dates.add_row(
                r.id,
                "release",
                str(r.date or ""),
                f"{escape(r.title)} ({_count(r.includes, 'item')})",
            )
        stdout.print(dates)

    if s.risks:
        risks = Table(
            title=f"Risks — exposure {_fmt_days(s.exposure_days)} days"
            + (f", {s.cost_exposure:,.0f} {s.currency}" if s.cost_exposure else ""),
            title_justify="left",
        )
        for col in ("id", "P", "impact d", "exp. d", "owner", "status", "title"):
            add_column(risks, col, wide=col == "title", right=col in ("P", "impact d", "exp. d"))
        for risk in sorted(s.risks, key=lambda x: -(x.exposure_days or 0)):
            risks.add_row(
                risk.id,
                _pct(risk.probability),
                _fmt_days(risk.impact_days) if risk.impact_days is not None else "",
                _fmt_days(risk.exposure_days) if risk.exposure_days is not None else "",
                risk.owner or "[red]none[/red]",
                risk.status,
                escape(risk.title),
            )
        stdout.print(risks)
