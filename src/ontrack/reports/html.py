"""The HTML report: one self-contained page (CSS and script inline, no network), rendered from a
:class:`~ontrack.reports.data.ReportData`.

The page is assembled from sections, each a function of the data record that returns markup
(or nothing, when the data for it is absent), so a section can be added, moved or dropped
without touching the others. Templates escape everything by default; the charts and the
Gantt are built in Python and escape plan text themselves.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from ontrack import __version__
from ontrack.engines.dora import BANDS as DORA_BANDS
from ontrack.engines.dora import DAY, HOUR, Metrics, ServiceMetrics
from ontrack.engines.risk.register import IMPACT_BANDS, PROBABILITY_BANDS
from ontrack.reports import charts
from ontrack.reports.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    RED,
    Band,
    Bar,
    BudgetBar,
    HeatRow,
    Level,
    Marker,
    Series,
)
from ontrack.reports.data import (
    GanttTask,
    ReportData,
    risk_cells,
)
from ontrack.reports.templating import (
    chance_class,
    env,
    fdate,
    fdays,
    fmoney,
    fpct,
    milestone_status,
    render_template,
)
from ontrack.reports.templating import render as _render

__all__ = [
    "chance_class",
    "fdate",
    "fdays",
    "fmoney",
    "fpct",
    "milestone_status",
    "render_report",
    "render_template",
    "report_header",
    "report_sections",
]

# -- the page -----------------------------------------------------------------------------------


def report_sections(data: ReportData) -> list[tuple[str, str, Markup]]:
    """The report's sections that have something to show, as (anchor, title, markup): the
    page below, and the web app's dashboard, are made of them."""
    sections: list[tuple[str, str, Callable[[ReportData], Markup | None]]] = [
        ("milestones", "Milestones", _milestones_section),
        ("schedule", "Schedule", _gantt_section),
        ("forecast", "Forecast", _forecast_section),
        ("people", "People", _load_section),
        ("tracking", "Tracking", _tracking_sections),
        ("risks", "Risks", _risk_sections),
        ("releases", "Releases", _releases_section),
        ("delivery", "Delivery", _delivery_section),
    ]
    rendered = [(anchor, title, build(data)) for anchor, title, build in sections]
    return [(anchor, title, body) for anchor, title, body in rendered if body]


def _releases_section(data: ReportData) -> Markup | None:
    """Each release's readiness (gates with evidence, the recommendation, its sign-offs) and
    the trains' calendar."""
    if not data.releases and data.calendar is None:
        return None
    from ontrack.reports.gonogo import gate_rows  # noqa: PLC0415
    from ontrack.reports.releasecal import release_calendar_html  # noqa: PLC0415

    return _render(
        "releases.html.j2",
        releases=data.releases,
        gates={r.release: gate_rows(r.gates) for r in data.releases},
        calendar=release_calendar_html(data.calendar) if data.calendar is not None else None,
    )


def report_header(data: ReportData) -> Markup:
    """The report's headline: RAG, reasons, the final date and its odds, SPI/CPI, budget."""
    return _header(data)


def render_report(data: ReportData) -> str:
    """The whole page as one string."""
    return (
        env()
        .get_template("report.html.j2")
        .render(
            data=data,
            header=_header(data),
            sections=report_sections(data),
            version=__version__,
            rules=data.options.rag,
        )
    )


def _header(data: ReportData) -> Markup:
    track = data.tracking
    return _render(
        "header.html.j2",
        data=data,
        final=data.final,
        spi=track.spi if track else None,
        cpi=track.cpi if track else None,
        budget=track.budget if track else None,
        critical=sum(1 for t in data.gantt.tasks if t.critical and not t.summary),
    )


def _milestones_section(data: ReportData) -> Markup | None:
    if not data.milestones:
        return None
    return _render(
        "milestones.html.j2",
        data=data,
        rows=data.milestones,
        baseline=data.tracking is not None,
    )


# -- the Gantt ----------------------------------------------------------------------------------


def _gantt_section(data: ReportData) -> Markup | None:
    g = data.gantt
    if not g.tasks:
        return None
    span = max(1, (g.end - g.start).days + 1)

    def pos(day: dt.date) -> float:
        return 100 * (day - g.start).days / span

    ticks = charts.date_ticks(g.start, g.end, most=14)
    index = {t.id: i for i, t in enumerate(g.tasks)}
    # Each link: (predecessor row, successor row, type, weight): 2 on the critical path, 1
    # when it sets the successor's start, 0 otherwise (drawn faintly: it has slack).
    links: list[tuple[int, int, str, int]] = []
    if g.arrows:
        for i, t in enumerate(g.tasks):
            for pred, kind in t.predecessors:
                if pred in index:
                    weight = (
                        2
                        if t.critical and g.tasks[index[pred]].critical
                        else 1
                        if t.driver == pred
                        else 0
                    )
                    links.append((index[pred], i, kind, weight))
    rows = Markup("").join(_gantt_rows(g.tasks, pos, span))
    return _render(
        "gantt.html.j2",
        data=data,
        gantt=g,
        ticks=[(f"{pos(day):.3f}", text) for day, text in ticks],
        now=f"{pos(g.status_date):.3f}" if g.status_date else None,
        rows=rows,
        links=Markup(json.dumps(links, separators=(",", ":"))),
        leaves=sum(1 for t in g.tasks if not t.summary),
        critical=sum(1 for t in g.tasks if t.critical and not t.summary),
    )


def _gantt_rows(
    tasks: Sequence[GanttTask], pos: Callable[[dt.date], float], span: int
) -> list[Markup]:
    """Rows in WBS order; a summary's children sit inside its ``<details>``, so a group
    folds without any script."""
    by_id = {t.id: t for t in tasks}
    index = {t.id: i for i, t in enumerate(tasks)}
    out: list[Markup] = []
    day = 100 / span

    def row(task: GanttTask) -> None:
        i = index[task.id]
        left = pos(task.start)
        width = max(day * 0.6, pos(task.finish) + day - left)
        state = task.state
        tip = _tooltip(task)
        classes = f"bar st-{state}" + (" crit" if task.critical else "")
        if task.summary:
            bar = f'<span class="{classes} sum" style="left:{left:.3f}%;width:{width:.3f}%"></span>'
        elif task.milestone:
            bar = f'<span class="{classes} ms" style="left:{pos(task.finish) + day:.3f}%"></span>'
        else:
            fill = (
                f'<span class="pc" style="width:{100 * task.percent:.0f}%"></span>'
                if task.percent and state != "done"
                else ""
            )
            bar = (
                f'<span class="{classes}" style="left:{left:.3f}%;width:{width:.3f}%">{fill}</span>'
            )
        base = ""
        if task.baseline_start is not None and task.baseline_finish is not None:
            b_left = pos(task.baseline_start)
            if task.milestone:
                b_at = pos(task.baseline_finish) + day
                base = f'<span class="bl ms" style="left:{b_at:.3f}%"></span>'
            else:
                b_width = max(day * 0.6, pos(task.baseline_finish) + day - b_left)
                base = f'<span class="bl" style="left:{b_left:.3f}%;width:{b_width:.3f}%"></span>'
        deadline = (
            f'<span class="dl" style="left:{pos(task.deadline) + day:.3f}%" '
            f'title="deadline {fdate(task.deadline)}"></span>'
            if task.deadline is not None
            else ""
        )
        end = pos(task.finish) + day
        who = (
            f'<span class="who" style="left:{end:.3f}%">{escape(", ".join(task.assignees))}</span>'
            if task.assignees and not task.summary and end < 88
            else ""
        )
        name = escape(task.title)
        pad = 10 + 16 * task.depth
        lab = (
            f'<div class="g-lab" style="padding-left:{pad}px">'
            + ('<span class="caret"></span>' if task.summary else "")
            + f'<span class="g-name">{name}</span></div>'
        )
        track = f'<div class="g-track">{base}{bar}{deadline}{who}</div>'
        crit = " is-crit" if task.critical else ""
        if task.summary:
            out.append(
                Markup(
                    f'<details class="g-grp"{" open" if task.open else ""}>'
                    f'<summary class="g-row g-sum{crit}" data-i="{i}" title="{tip}">'
                    f"{lab}{track}</summary>"
                )
            )
            for child in task.children:
                if child in by_id:
                    row(by_id[child])
            out.append(Markup("</details>"))
        else:
            out.append(
                Markup(f'<div class="g-row{crit}" data-i="{i}" title="{tip}">{lab}{track}</div>')
            )

    for task in tasks:
        if task.depth == 0:
            row(task)
    return out


def _tooltip(task: GanttTask) -> Markup:
    parts = [f"{task.title} ({task.id})", f"{fdate(task.start)} → {fdate(task.finish)}"]
    state = {"in-progress": "in progress"}.get(task.state, task.state)
    if task.percent is not None and task.state != "done":
        state += f", {100 * task.percent:.0f}% done"
    parts.append(state + (", critical" if task.critical else ""))
    if task.assignees:
        parts.append(", ".join(task.assignees))
    if not task.summary and task.state != "done":
        parts.append(f"float {task.total_float_days} d")
    if task.baseline_finish is not None:
        parts.append(f"baseline finish {fdate(task.baseline_finish)}")
    if task.deadline is not None:
        parts.append(f"deadline {fdate(task.deadline)}")
    return escape("\n".join(parts))


# -- the forecast -------------------------------------------------------------------------------


def _forecast_section(data: ReportData) -> Markup:
    f = data.forecast
    item = f.final
    curve = charts.s_curve(
        [(p.date, p.probability) for p in item.curve],
        label=f"Chance that {item.title} is done by each date",
        p50=item.p50,
        p80=item.p80,
        deadline=item.deadline,
        planned=item.planned,
        height=300,
    )
    drivers = charts.bar_chart(
        [
            Bar(
                "merging paths and waits" if d.kind == "merge" else d.title,
                d.days,
                RED if d.kind == "risk" else GREY if d.kind == "merge" else BLUE,
            )
            for d in f.drivers
        ],
        label="What moves the finish: working days added to the mean",
        value_format=lambda v: f"{v:+.1f}",
        unit=" d",
    )
    return _render(
        "forecast.html.j2",
        data=data,
        f=f,
        item=item,
        curve=Markup(curve),
        drivers=Markup(drivers),
    )


# -- people -------------------------------------------------------------------------------------


def _load_section(data: ReportData) -> Markup | None:
    load = data.load
    if not load.people:
        return None
    rows = [HeatRow(p.name, p.weeks, fpct(p.load) if p.available else "—") for p in load.people]
    heat = charts.load_heatmap(rows, load.weeks, label="Load per person and week")
    over = [p for p in load.people if p.over_weeks]
    idle = [p for p in load.people if p.busy == 0]
    return _render(
        "load.html.j2", data=data, heat=Markup(heat), over=over, idle=idle, weeks=len(load.weeks)
    )


# -- tracking -----------------------------------------------------------------------------------


def _tracking_sections(data: ReportData) -> Markup | None:
    track = data.tracking
    if track is None:
        return None
    status = Marker(data.status_date, f"status {charts.short_date(data.status_date)}", "#1f2933")
    burn = charts.line_chart(
        [
            Series("scope", [(_end(b.week), b.scope) for b in track.burn_up], GREY, width=2.2),
            Series(
                "planned (baseline)",
                [(_end(b.week), b.planned) for b in track.burn_up],
                BLUE,
                dashed=True,
                width=1.6,
            ),
            Series(
                "done",
                [(min(_end(b.week), data.status_date), b.done) for b in track.burn_up],
                GREEN,
                area=True,
            ),
        ],
        label="Burn-up: scope and work done, in days",
        y_title="work (days)",
        markers=[status],
    )
    evm = track.evm
    indices = values = None
    if evm is not None:
        dated = [p for p in evm.periods if p.date is not None]
        measured = [v for p in dated for v in (p.spi, p.cpi) if v is not None]
        indices = charts.line_chart(
            [
                Series("SPI", [(p.date, p.spi) for p in dated if p.date], BLUE, dots=True),
                Series("CPI", [(p.date, p.cpi) for p in dated if p.date], PURPLE, dots=True),
            ],
            label="Schedule and cost performance indices over time",
            y_format=lambda v: f"{v:.2f}",
            levels=[Level(1.0, "1.00", GREY)],
            bands=[
                Band(data.options.rag.index_red, data.options.rag.index_amber, "#fff4e0"),
                Band(0.0, data.options.rag.index_red, "#fdecec"),
            ],
            y_min=max(0.0, min([0.8, *measured]) - 0.02),  # the red zone always shows
            y_max=max([1.1, *measured]) + 0.02,
        )
        unit = track.currency
        values = charts.line_chart(
            [
                Series(
                    "planned value (PV)",
                    [(b.date, float(b.pv)) for b in evm.baseline if b.date],
                    GREY,
                    dashed=True,
                ),
                Series(
                    "earned value (EV)",
                    [(p.date, float(p.ev)) for p in evm.periods if p.date],
                    BLUE,
                    dots=True,
                ),
                Series(
                    "actual cost (AC)",
                    [
                        (p.date, float(p.ac) if p.ac is not None else None)
                        for p in evm.periods
                        if p.date
                    ],
                    ORANGE,
                    dots=True,
                ),
            ],
            label=f"PV, EV and AC over time ({unit})",
            y_title=unit,
            markers=[status],
        )
    scope_weeks = track.scope_weeks
    scope_chart = charts.line_chart(
        [
            Series(
                "scope",
                [(_end(w.week), float(w.total)) for w in scope_weeks],
                ORANGE,
                area=False,
            ),
        ],
        label="Scope over time, in days of work",
        y_title="work (days)",
        levels=[Level(float(track.scope.baseline_days), "baseline", GREY)],
        markers=[status],
    )
    budget = track.budget
    budget_chart = None
    if budget is not None:
        rows = []
        if budget.actual_cost is not None:
            rows.append(BudgetBar("actual cost to date", float(budget.actual_cost), None, ORANGE))
        if budget.earned_value is not None:
            rows.append(BudgetBar("earned value", float(budget.earned_value), None, BLUE))
        rows.append(BudgetBar("baseline cost (BAC)", float(budget.bac), None, GREY))
        if budget.eac_cpi is not None:
            rows.append(BudgetBar("estimate at completion (BAC / CPI)", float(budget.eac_cpi)))
        if budget.eac_p50 is not None and budget.eac_p80 is not None:
            rows.append(
                BudgetBar(
                    "simulated EAC, P50 to P80",
                    float(budget.eac_p80),
                    float(budget.eac_p50),
                    PURPLE,
                )
            )
        limit = budget.budget if budget.budget is not None else None
        budget_chart = charts.budget_chart(
            rows,
            label=f"Budget position ({budget.currency})",
            limit=float(limit) if limit is not None else None,
            limit_label="approved budget",
        )
    return _render(
        "tracking.html.j2",
        data=data,
        track=track,
        burn=Markup(burn),
        indices=Markup(indices) if indices else None,
        values=Markup(values) if values else None,
        scope_chart=Markup(scope_chart),
        contributors=track.scope.contributors(5),
        budget=budget,
        budget_chart=Markup(budget_chart) if budget_chart else None,
        latest=evm.latest if evm is not None else None,
    )


def _end(week: dt.date) -> dt.date:
    """Weekly figures are as of the week's end (its Sunday), so they sit there on a chart."""
    return week + dt.timedelta(days=6)


# -- risks --------------------------------------------------------------------------------------


def _risk_sections(data: ReportData) -> Markup | None:
    """The risk register (``plan.risks``) as a table and a 5×5 probability × impact matrix;
    below them, when the data has them, detected findings and the DCMA 14-point table."""
    if not data.risks and not data.findings and not data.compliance:
        return None
    matrix = (
        charts.risk_matrix(risk_cells(data.risks), label="Active risks by probability and impact")
        if data.risks
        else None
    )
    active = [r for r in data.risks if r.active]
    # Exposure as the risk engine measures it (``ontrack risks``): over the open and mitigating
    # risks, each one's PERT mean impact weighted by its chance.
    days = sum(r.exposure_days for r in data.risks if r.in_matrix)
    money = sum(r.exposure_money for r in data.risks if r.in_matrix)
    statuses: dict[str, int] = {}
    for r in data.risks:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return _render(
        "risks.html.j2",
        data=data,
        risks=data.risks,
        active=len(active),
        matrix=Markup(matrix) if matrix else None,
        exposure_days=days,
        exposure_money=money,
        statuses=sorted(statuses.items(), key=lambda kv: _STATUS_ORDER.get(kv[0], 9)),
        severe=[r for r in active if r.score >= 10],
        findings=data.findings,
        compliance=data.compliance,
        bands={  # the risk engine's matrix: the same scores as ``ontrack risks``
            "probability": [float(b) for b in PROBABILITY_BANDS],
            "impact": [float(b) for b in IMPACT_BANDS],
        },
    )


_STATUS_ORDER = {"occurred": 0, "open": 1, "mitigating": 2, "closed": 3}


# -- delivery (DORA) ----------------------------------------------------------------------------


def fduration(seconds: float | None) -> str:
    """A lead or recovery time: minutes under an hour, hours under a day, else days."""
    if seconds is None:
        return "—"
    if seconds < HOUR:
        return f"{seconds / 60:.0f} min"
    if seconds < DAY:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / DAY:.1f} d"


#: The services drawn beside "all services" on the trend charts, with their colours; with more
#: services than colours only the whole is drawn (the table has each one).
_SERVICE_COLOURS = (ORANGE, PURPLE, GREEN, RED)


def _delivery_section(data: ReportData) -> Markup | None:
    """The DORA metrics of the plan's ``delivery:`` section: per service a row of the five
    metrics with their bands, and per metric its trend over the weeks or months (all services,
    and each service when there are a few)."""
    report = data.delivery
    if report is None:
        return None
    services = report.services
    rows: list[tuple[str, Metrics, bool]] = [(s.service, s.total, False) for s in services]
    if len(services) != 1:  # one service is the whole: no second row with the same figures
        rows.insert(0, ("All services", report.overall.total, True))
    lines: list[tuple[str, ServiceMetrics, str]]
    if len(services) == 1:
        lines = [(services[0].service, services[0], BLUE)]
    else:
        lines = [("all services", report.overall, BLUE)]
        if len(services) <= len(_SERVICE_COLOURS):
            lines += [(s.service, s, c) for s, c in zip(services, _SERVICE_COLOURS, strict=False)]
    first = report.since.date()
    last = max(first, report.until.date() - dt.timedelta(days=1))
    step = report.period
    start = min([first, *(p.start for p in report.overall.periods)])  # the first period's start

    def trend(
        metric: str,
        value: Callable[[Metrics], float | None],
        *,
        scale: float = 1.0,
        limits: Sequence[tuple[str, float]] = (),
        y_format: Callable[[float], str] = charts.compact,
        y_title: str = "",
    ) -> Markup:
        def scaled(m: Metrics) -> float | None:
            v = value(m)
            return None if v is None else v / scale

        series = [
            Series(
                name,
                [(p.start, scaled(p.metrics)) for p in service.periods],
                colour,
                width=2.4 if colour == BLUE else 1.6,
            )
            for name, service, colour in lines
        ]
        return Markup(
            charts.trend_chart(
                series,
                label=f"{metric} per {step}, {first} to {last}",
                thresholds=[Level(limit / scale, band, GREY) for band, limit in limits],
                y_format=y_format,
                y_title=y_title,
                x_range=(start, last),
            )
        )

    def unit(value: Callable[[Metrics], float | None]) -> tuple[float, str]:
        """Hours, or days when some period's value reaches two days."""
        seen = [v for _, s, _ in lines for p in s.periods if (v := value(p.metrics)) is not None]
        return (DAY, "days") if seen and max(seen) >= 2 * DAY else (HOUR, "hours")

    def lead(m: Metrics) -> float | None:
        return m.lead_time_median

    def recovery(m: Metrics) -> float | None:
        return m.recovery_median

    lead_scale, lead_unit = unit(lead)
    recovery_scale, recovery_unit = unit(recovery)
    trends = [
        (
            "Deployment frequency",
            f"Successful deployments per week, in each {step}.",
            trend(
                "Deployment frequency",
                lambda m: m.per_week,
                limits=[(b, limit * 7) for b, limit in DORA_BANDS["deployment_frequency"]],
                y_title="per week",
            ),
        ),
        (
            "Change lead time",
            f"Median time from commit to production of the commits each {step} shipped.",
            trend(
                "Change lead time (median)",
                lead,
                scale=lead_scale,
                limits=DORA_BANDS["lead_time"],
                y_title=lead_unit,
            ),
        ),
        (
            "Change fail rate",
            "Share of the deployments that an incident names as its cause.",
            trend(
                "Change fail rate",
                lambda m: m.change_fail_rate,
                limits=DORA_BANDS["change_fail_rate"],
                y_format=charts.percent,
            ),
        ),
        (
            "Failed deployment recovery time",
            f"Median time to resolve the incidents a deployment caused, by the {step} they began.",
            trend(
                "Failed deployment recovery time (median)",
                recovery,
                scale=recovery_scale,
                limits=DORA_BANDS["recovery_time"],
                y_title=recovery_unit,
            ),
        ),
        (
            "Rework rate",
            "Share of the deployments made while an incident a deployment caused was open.",
            trend("Rework rate", lambda m: m.rework_rate, y_format=charts.percent),
        ),
    ]
    return _render(
        "delivery.html.j2",
        report=report,
        rows=[(name, m, m.bands(), whole) for name, m, whole in rows],
        trends=trends,
        periods=report.overall.periods,
        first=first,
        last=last,
        unresolved=report.overall.total.unresolved,
        warnings=len(report.diagnostics),
        duration=fduration,
    )
