"""Rules about releases and trains that are not plain references: a train that ends before it
starts, a train release without a date, tracker items no task is linked to, and checklist ids
given twice. (Whether a date is one of its train's departures needs the calendar's arithmetic:
the readiness engine says so, with the nearest departures.)"""

from __future__ import annotations

from collections.abc import Iterator

from ontrack.diagnostics import Diagnostic, error, warning
from ontrack.model import Plan

CODES = ("E213", "E214", "E215", "W312")


def check_releases(plan: Plan) -> Iterator[Diagnostic]:
    for train in plan.trains:
        if train.until is not None and train.until < train.first:
            yield error(
                "E215",
                train.locs.get("until", train.loc),
                f"train '{train.id}' ends ({train.until}) before its first departure "
                f"({train.first})",
                "make `until` on or after `first`, or remove it",
                subjects=(train.id,),
            )
    linked = {
        f"{t.tracker.source}#{t.tracker.key}": t.id for t in plan.tasks if t.tracker is not None
    }
    for rel in plan.releases:
        if rel.train is not None and rel.date is None:
            yield warning(
                "W312",
                rel.locs.get("train", rel.loc),
                f"release '{rel.id}' rides train '{rel.train}' but has no date",
                "give it the date of the departure it is meant to leave with "
                "(`ontrack release calendar` lists them)",
                subjects=(rel.id,),
            )
        for i, key in enumerate(rel.tracker_items):
            if key not in linked:
                yield error(
                    "E213",
                    rel.locs.get(f"tracker_items[{i}]", rel.loc),
                    f"tracker item '{key}' of release '{rel.id}' is linked to no task",
                    "link a task to it with `tracker: " + key + "` (or `ontrack link`), "
                    "or remove it from tracker_items",
                    subjects=(rel.id, key),
                )
        seen: set[str] = set()
        for item in rel.checklist:
            if item.id in seen:
                yield error(
                    "E214",
                    item.locs.get("id", item.loc),
                    f"checklist item '{item.id}' is given twice in release '{rel.id}'",
                    "give each checklist item its own id",
                    subjects=(rel.id, item.id),
                )
            seen.add(item.id)
