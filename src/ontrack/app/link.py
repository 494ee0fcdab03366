"""``ontrack link``: plan tasks from a tracker query, as commented YAML the user then owns.

The items a query selects (an epic's children, a milestone, labels, a JQL query) become tasks,
each keeping its tracker key (``tracker: SOURCE#KEY``), its estimate in the plan's units, its
assignee mapped to a plan person and its blocking links as dependencies among the new tasks (or on
tasks already linked in the plan). Items the plan already links are left out, so running it again
after the tracker grew lists only what is new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Sequence

from ontrack.model import Plan
from ontrack.model.quantities import Duration
from ontrack.model.tracker import Match, Source, TrackerItem, estimate_minutes
from ontrack.trackers.base import Adapter, TrackerError

_ID_OK = re.compile(r"[^A-Za-z0-9_.\-]+")


def query_items(adapter: Adapter, match: Match | None) -> list[TrackerItem]:
    """Every item the query selects (the source's own rules when ``match`` is None)."""
    adapter.check()
    items: dict[str, TrackerItem] = {}
    for page in adapter.pages(None):
        for item in page.items:
            items[item.key] = item
    chosen = [i for i in items.values() if i.in_scope]
    if not chosen:
        raise TrackerError(
            "E605",
            f"the query matches no item of {adapter.source.name!r} ({len(items)} read)",
            "check the --milestone, --label, --parent or --query given (names are exact)",
        )
    return sorted(chosen, key=lambda i: (i.created, i.key))


def with_match(source: Source, match: Match | None) -> Source:
    return source if match is None else dataclasses.replace(source, match=match)


def task_id(source: Source, key: str) -> str:
    text = _ID_OK.sub("-", f"{source.name}-{key.lstrip('#')}").strip("-.")
    return text[:128] or source.name


def render(plan: Plan, source: Source, items: Sequence[TrackerItem], day: dt.date) -> str:
    """The tasks as YAML with a comment per task saying where it came from."""
    linked = {
        t.tracker.key: t.id
        for t in plan.tasks
        if t.tracker is not None and t.tracker.source == source.name
    }
    new = [i for i in items if i.key not in linked]
    ids = {i.key: task_id(source, i.key) for i in new}
    taken = set(plan.task_by_id)
    for key, wanted in list(ids.items()):
        chosen, n = wanted, 2
        while chosen in taken:  # an id the plan already uses: number it
            chosen = f"{wanted}-{n}"
            n += 1
        ids[key] = chosen
        taken.add(chosen)
    people = set(plan.person_by_id)
    hpd = plan.hours_per_day
    lines = [
        f"# Tasks from {source.name} ({source.kind.value} {source.project}), read {day}:",
        f"# {len(new)} new item(s)"
        + (f"; {len(items) - len(new)} already linked in the plan" if len(new) < len(items) else "")
        + ". Each keeps its tracker key; edit freely, `ontrack sync` reconciles them.",
        "tasks:",
    ]
    for item in new:
        lines.append(f"  - id: {ids[item.key]}  # {_comment(item.state)}: {_comment(item.url)}")
        lines.append(f"    title: {json.dumps(item.title or item.key, ensure_ascii=False)}")
        if item.estimate is not None and item.estimate > 0:
            minutes = round(estimate_minutes(source, item.estimate))
            if minutes > 0:
                lines.append(
                    f"    estimate: {Duration(minutes).format(hpd)}  "
                    f"# {item.estimate} {_comment(source.estimate_field)}"
                )
        else:
            lines.append("    # estimate: ?  (the tracker has none: add one)")
        mapped = [source.person(a) or a for a in item.assignees]
        known = [p for p in mapped if p in people]
        if known:
            lines.append(f"    assignee: [{', '.join(known)}]")
        strangers = [a for a, p in zip(item.assignees, mapped, strict=True) if p not in people]
        if strangers:
            lines.append(
                f"    # assigned in {source.name} to {_comment(', '.join(strangers))}: map them "
                "under the source's people:"
            )
        deps = [ids.get(k) or linked.get(k) for k in item.blocked_by]
        found = [d for d in deps if d]
        if found:
            lines.append(f"    depends: [{', '.join(found)}]")
        missing = [k for k, d in zip(item.blocked_by, deps, strict=True) if not d]
        if missing:
            lines.append(
                f"    # also blocked by {_comment(', '.join(missing))}, not in this query nor "
                "the plan"
            )
        lines.append(f"    tracker: {json.dumps(f'{source.name}#{item.key}')}")
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    """Text safe on a YAML comment line (no line breaks)."""
    return " ".join(str(text).split())
