"""Scope slipping for the front ends: the proposal (:mod:`ontrack.engines.slip`) for a plan and
its progress as of the one as-of rule, the plan-file change that makes it real, and applying it.

The change is what the what-if simulated, written into the user's files with minimal edits of
their text: the moved tasks leave the release's ``includes`` (those it names; a task the release
only waits for, through a milestone of it, leaves with the milestone's link) and join the next
release on the same train unless it still waits for them (when the plan has one; else a new
release must be created for the train's next departure), they get ``start_no_earlier_than`` the
day after the release (so they wait for the next train; not a milestone moved along, which has
no work), and the release's milestones drop their links to them. A task that is in the release's
scope only through an included summary task or a tracker item cannot be moved by editing
``includes``: the change is refused, naming what to edit by hand (E483). The edited texts are
loaded before anything is written; a plan that would not load clean is refused with its
diagnostics (E484), and the files stay untouched.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ontrack.app.asof import AsOf, resolve_as_of, status_as_of
from ontrack.diagnostics import Diagnostic, SourceLoc, error, has_errors
from ontrack.engines.slip import (
    SlipOptions,
    SlipProposal,
    defer_day,
    propose_slip,
    what_if_plan,
)
from ontrack.fileio import write_text_atomic
from ontrack.model import DepType, Plan, Release
from ontrack.planfile import load_plan
from ontrack.planfile.edit import FieldEdit, ListEdit, edit_lists, edit_texts
from ontrack.planfile.loader import load_plan_texts

CODES = ("E483", "E484")


@dataclass(frozen=True, slots=True)
class PlanChange:
    """The plan files after the slip (only the changed ones), as a diff too, or why it cannot
    be written (``diagnostics``)."""

    files: tuple[tuple[str, str], ...]  # (path, new text)
    before: tuple[tuple[str, str], ...]  # (path, text as read)
    diff: str
    done: tuple[str, ...]
    notes: tuple[str, ...]  # what the user still has to do (a release to create)
    diagnostics: tuple[Diagnostic, ...]

    @property
    def applicable(self) -> bool:
        return bool(self.files) and not has_errors(self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        return {
            "applicable": self.applicable,
            "files": [name for name, _ in self.files],
            "diff": self.diff,
            "edits": list(self.done),
            "notes": list(self.notes),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


@dataclass(frozen=True, slots=True)
class Slip:
    """The proposal as of one day, and the plan-file change that applies it."""

    as_of: AsOf
    proposal: SlipProposal
    change: PlanChange

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.to_json(),
            **self.proposal.to_json(),
            "change": self.change.to_json(),
        }


def slip(
    plan: Plan,
    release: str,
    options: SlipOptions | None = None,
    *,
    as_of: AsOf | None = None,
    facts: Sequence[Any] = (),
) -> tuple[Slip | None, list[Diagnostic]]:
    """The proposal for ``release`` with the store's progress ``facts`` (as ``assess`` reads
    them), and its plan change; None and why when the release or the plan cannot be forecast."""
    as_of = as_of or resolve_as_of(plan, facts)
    chosen = [f for f in facts if f.status_date <= as_of.date]
    status = status_as_of(plan, chosen, as_of)
    proposal, diagnostics = propose_slip(plan, release, status, options)
    if proposal is None:
        return None, diagnostics
    return Slip(as_of, proposal, plan_change(plan, proposal)), diagnostics


def _read(path: str) -> str:
    # newline="": the file's own line endings (CRLF too) are kept as they are.
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _refused(loc: Any, reasons: Sequence[str], hint: str) -> PlanChange:
    return PlanChange(
        (),
        (),
        "",
        (),
        (),
        tuple(error("E483", loc, f"cannot apply the slip exactly: {r}", hint) for r in reasons),
    )


def _why_in_scope(plan: Plan, release: Release, task: str) -> str:
    """How a task not named in ``includes`` is in the release (for the refusal)."""
    for ident in release.includes:
        if ident in plan.task_by_id and any(t.id == task for t in plan.descendants(ident)):
            return (
                f"'{task}' is in release '{release.id}' through the summary task '{ident}': "
                f"list the summary's tasks in `includes` instead of '{ident}'"
            )
    link = plan.task_by_id[task].tracker
    key = f"{link.source}#{link.key}" if link is not None else "?"
    return (
        f"'{task}' is in release '{release.id}' through its tracker item {key}: "
        f"take {key} out of the release's `tracker_items`"
    )


def plan_change(plan: Plan, proposal: SlipProposal) -> PlanChange:
    """The edits that make the proposal real in the plan files, checked by loading the result."""
    release = next(r for r in plan.releases if r.id == proposal.release)
    moved = proposal.moved_ids
    if not moved:
        return PlanChange((), (), "", (), (), ())
    hint = "edit the plan files by hand as the reasons say, then run the command again"
    # A moved task named in `includes` leaves it; one the release only waits for (a milestone
    # of it depends on the task) leaves with the milestone's link; one in the scope through an
    # included summary or a tracker item cannot be taken out by an edit of `includes`.
    scope = set(plan.release_scope(release))
    outside = [m for m in moved if m in scope and m not in release.includes]
    if outside:
        return _refused(release.loc, [_why_in_scope(plan, release, m) for m in outside], hint)
    notes: list[str] = []
    listed = tuple(m for m in moved if m in release.includes)
    lists = [ListEdit("release", release.id, "includes", remove=listed)] if listed else []
    following = next((r for r in plan.releases if r.id == proposal.next_release), None)
    if following is not None:
        # What the next release still waits for once the release's milestones drop their links.
        slipped, _ = what_if_plan(plan, release, moved)
        waits = set(slipped.release_work(following))
        added = tuple(m for m in moved if m not in waits)
        if added:
            lists.append(ListEdit("release", following.id, "includes", add=added))
    elif proposal.departure is not None:
        notes.append(
            f"no later release rides train '{proposal.train}': create one for its departure on "
            f"{proposal.departure.date} that includes {', '.join(moved)}"
        )
    else:
        notes.append(
            f"release '{release.id}' rides no train: the moved tasks are in no release now; "
            f"create a release that includes {', '.join(moved)}"
        )
    gone = set(moved)
    problems: list[str] = []
    for milestone in dict.fromkeys(m for m, _ in proposal.dropped_links):
        task = plan.task_by_id[milestone]
        remove: list[str] = []
        add: list[str] = []
        for dep in task.depends:
            target = plan.task_by_id.get(dep.task)
            if target is None:
                continue
            if dep.task in gone:
                remove.append(dep.task)
            elif target.is_summary and any(t.id in gone for t in plan.descendants(dep.task)):
                if dep.type is not DepType.FS or dep.lag:
                    problems.append(
                        f"milestone '{milestone}' depends on summary '{dep.task}' with a type "
                        "or lag: link it to the summary's tasks that stay by hand"
                    )
                remove.append(dep.task)
                add.extend(
                    t.id
                    for t in plan.descendants(dep.task)
                    if not t.is_summary and t.id not in gone
                )
        lists.append(ListEdit("task", milestone, "depends", tuple(remove), tuple(add)))
    if problems:
        return _refused(release.loc, problems, hint)
    try:
        original = tuple((path, _read(path)) for path in plan.sources)
    except (OSError, UnicodeDecodeError) as exc:
        return _refused(release.loc, [f"cannot read the plan files ({exc})"], hint)
    first = edit_lists(plan, original, lists)
    if first.refused:
        return _refused(release.loc, first.refused, hint)
    middle, diagnostics = load_plan_texts(first.files)
    if middle is None:
        return _not_loading(release, diagnostics)
    defer = defer_day(release)
    fields = [
        FieldEdit("task", m, "start_no_earlier_than", defer.isoformat())
        for m in moved
        if not plan.task_by_id[m].milestone  # a milestone moved along has no work to defer
        and ((start := plan.task_by_id[m].start_no_earlier_than) is None or start < defer)
    ]
    second = edit_texts(middle, first.files, fields)
    if second.refused:
        return _refused(release.loc, second.refused, hint)
    after, diagnostics = load_plan_texts(second.files)
    if after is None or has_errors(diagnostics):
        return _not_loading(release, diagnostics)
    changed = tuple(
        (name, text)
        for (name, text), (_, old) in zip(second.files, original, strict=True)
        if text != old
    )
    return PlanChange(
        changed,
        tuple(item for item in original if item[0] in dict(changed)),
        _diff(original, second.files),
        (*first.done, *second.done),
        tuple(notes),
        (),
    )


def _not_loading(release: Release, diagnostics: Sequence[Diagnostic]) -> PlanChange:
    return PlanChange(
        (),
        (),
        "",
        (),
        (),
        (
            error(
                "E484",
                release.loc,
                "the plan would not load after the slip; nothing was written",
                "the diagnostics below say why; edit the plan files by hand",
            ),
            *diagnostics,
        ),
    )


def _diff(before: Sequence[tuple[str, str]], after: Sequence[tuple[str, str]]) -> str:
    """The change as `git diff` shows it, with paths relative to the working folder."""
    out: list[str] = []
    new = dict(after)
    for name, old in before:
        if new.get(name, old) == old:
            continue
        shown = os.path.relpath(name) if os.path.isabs(name) else name
        out.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new[name].splitlines(keepends=True),
                f"a/{shown}",
                f"b/{shown}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def apply(change: PlanChange, plan_path: Path) -> tuple[Plan | None, list[Diagnostic]]:
    """Write the change (each file atomically) and load the plan from disk again to prove it.
    Refuses a change that cannot be applied, and a file changed on disk since it was read;
    puts the files back if the written plan does not load."""
    if not change.applicable:
        return None, list(change.diagnostics)
    for name, old in change.before:
        try:
            current = _read(name)
        except (OSError, UnicodeDecodeError) as exc:
            current = str(exc)
        if current != old:
            return None, [
                error(
                    "E483",
                    SourceLoc(name),
                    f"{name} changed since the slip was computed; nothing was written",
                    "run the command again",
                )
            ]
    written: list[tuple[str, str]] = []
    try:
        for (name, text), (_, old) in zip(change.files, change.before, strict=True):
            write_text_atomic(name, text)
            written.append((name, old))
    except OSError as exc:
        for name, old in written:
            write_text_atomic(name, old)
        return None, [error("E483", SourceLoc(name), f"cannot write {name}: {exc}")]
    plan, diagnostics = load_plan(plan_path)
    if plan is None or has_errors(diagnostics):
        for name, old in change.before:
            write_text_atomic(name, old)
        return None, [
            error("E484", SourceLoc(str(plan_path)), "the written plan did not load; undone"),
            *diagnostics,
        ]
    return plan, diagnostics
