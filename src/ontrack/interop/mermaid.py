"""A Mermaid gantt chart of the schedule, for docs and READMEs that render Mermaid.

Each top-level summary task (an epic) is a section; every other task is one line with its
scheduled dates, tagged ``crit`` on the critical path, ``done`` or ``active`` from progress, and
milestones as ``milestone``. Bars use explicit start and end dates, so the chart shows exactly the
schedule's dates whatever calendar Mermaid assumes.
"""

from __future__ import annotations

import datetime as dt
import re

from ontrack.engines.schedule.result import Schedule
from ontrack.interop.kit import code_identifier
from ontrack.interop.tables import outline
from ontrack.model import Plan

# Words Mermaid reads as statements at the start of a line (its lexer ignores case).
_KEYWORDS = frozenset(
    {
        "title", "section", "dateformat", "axisformat", "excludes", "includes", "todaymarker",
        "tickinterval", "weekday", "inclusiveenddates", "topaxis", "acctitle", "accdescr",
        "click", "gantt", "weekend",
    }
)  # fmt: skip
_UNSAFE = re.compile(r"[:;#\n\r\t]+")


def label(text: str) -> str:
    """Text Mermaid shows as is: no ``:`` (it ends a task's name), ``;`` or ``#``, and no
    keyword at the start of the line."""
    cleaned = " ".join(_UNSAFE.sub(" ", text).split()) or "untitled"
    first = cleaned.split(" ", 1)[0].lower()
    if first in _KEYWORDS or first.startswith(("%%", "acc")):
        cleaned = "\u200b" + cleaned  # a zero-width space keeps it a name
    return cleaned


def gantt_mermaid(plan: Plan, schedule: Schedule) -> str:
    """Mermaid ``gantt`` text: a header, then one line per task, grouped in sections."""
    placed = {t.id: t for t in schedule.tasks}
    lines = [
        "gantt",
        f"    title {label(plan.program.name)}",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %b %d",
    ]
    used: set[str] = set()
    section: str | None = None  # the id of the current section's epic ("" for loose tasks)
    for task, level, _ in outline(plan):
        at = placed.get(task.id)
        if level == 1 and task.is_summary:
            lines.append(f"    section {label(task.title)}")
            section = task.id
            continue
        if level == 1 and section != "":
            lines.append(f"    section {label(plan.program.name)}")
            section = ""
        if at is None:
            continue
        tags = []
        if at.state == "done":
            tags.append("done")
        elif at.state == "in-progress":
            tags.append("active")
        if at.critical and not task.is_summary:
            tags.append("crit")
        ident = code_identifier(task.id, used, empty="task")
        if task.milestone:
            tags.append("milestone")
            timing = f"{at.finish.isoformat()}, 0d"
        else:
            end = at.finish + dt.timedelta(days=1)  # Mermaid's end date is exclusive
            timing = f"{at.start.isoformat()}, {end.isoformat()}"
        data = ", ".join([*tags, ident, timing])
        lines.append(f"    {label(task.title)} :{data}")
    return "\n".join(lines) + "\n"
