"""Tracker links: every ``tracker: SOURCE#KEY`` names a source of the plan, one task per item,
and source names are unique (a task's link must say which tracker it means)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.model import Plan

CODES = ("E208", "E209", "E200")


def check_trackers(plan: Plan) -> Iterator[Diagnostic]:
    names: dict[str, SourceLoc] = {}
    for source in plan.trackers:
        if source.name in names:
            yield error(
                "E200",
                source.loc,
                f"duplicate source '{source.name}'",
                "give each source its own name",
                subjects=(source.name,),
                related=(names[source.name],),
            )
        names.setdefault(source.name, source.loc)
    linked: dict[tuple[str, str], str] = {}
    for task in plan.tasks:
        link = task.tracker
        if link is None:
            continue
        where = task.locs.get("tracker", task.loc)
        if link.source not in names:
            close = difflib.get_close_matches(link.source, list(names), n=1, cutoff=0.5)
            yield error(
                "E208",
                where,
                f"unknown source '{link.source}' in tracker of '{task.id}'",
                f"did you mean '{close[0]}'?"
                if close
                else "add it under `sources:` (name, kind, url, project, token_env)",
                subjects=(task.id, link.source),
            )
            continue
        other = linked.setdefault((link.source, link.key), task.id)
        if other != task.id:
            yield error(
                "E209",
                where,
                f"tasks '{other}' and '{task.id}' are both linked to {link}",
                "link each tracker item to one task (split the item in the tracker if it is "
                "two pieces of work)",
                subjects=(other, task.id),
            )
