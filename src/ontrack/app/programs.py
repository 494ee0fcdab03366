"""The programs of one store as the web app serves them: each program's assessment (computed
once per revision, tracking data, as-of date and options, and cached), and the edits made
through forms — each a new revision, refused when made against an older one.

Nothing here renders or speaks HTTP; the web layer turns these records into pages and JSON.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal
from unicodedata import category as _category

from ontrack.app.assessment import Assessment, AssessOptions, assess
from ontrack.app.jobs import Job, Jobs
from ontrack.app.tracking import Tracked
from ontrack.diagnostics import Diagnostic
from ontrack.gcpause import settle
from ontrack.model import Plan
from ontrack.planfile import load_plan_texts
from ontrack.planfile.edit import FieldEdit, edit_texts

if TYPE_CHECKING:
    from ontrack.app.workspace import Workspace
    from ontrack.engines.diff import PlanDiff
    from ontrack.model.signoff import SignOff
    from ontrack.store.repo import BaselineInfo, ProgressFact, RevisionInfo

#: Task and risk fields the forms edit, and how each value must look before it is written.
TASK_FIELDS = ("title", "estimate", "assignee")
RISK_FIELDS = ("title", "probability", "impact", "status")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./%+-]*")
_RISK_STATUS = ("open", "closed", "occurred")
_NOT_IN_A_LINE = ("Cc", "Cs", "Zl", "Zp")


class EditRefused(Exception):
    """An edit that cannot be made: a bad value, or a plan that no longer loads after it."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


@dataclass(frozen=True, slots=True)
class Conflict:
    """An edit made against an older revision: nothing was written. ``changes`` is what
    happened since ``base`` (so the user can redo the edit on top of it)."""

    program: str
    base: int
    latest: int
    changes: tuple[str, ...]
    diff: str


@dataclass(frozen=True, slots=True)
class Edited:
    """An edit recorded as a new revision: what changed and the YAML diff to commit."""

    program: str
    revision: RevisionInfo
    done: tuple[str, ...]
    diff: str


@dataclass(frozen=True, slots=True)
class ProgramView:
    """One program's assessment with what it was computed from."""

    program: str
    revision: RevisionInfo
    baseline: str | None
    assessment: Assessment
    tracked: Tracked
    key: tuple[Any, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The dates before and after changes that were not saved."""

    before: Assessment
    after: Assessment
    edits: tuple[FieldEdit, ...]
    done: tuple[str, ...]


class UnknownRelease(LookupError):
    """A release the latest revision's plan does not have (E485)."""

    def __init__(self, program: str, release: str, revision: int, known: Sequence[str]) -> None:
        super().__init__(f"revision {revision} of '{program}' has no release '{release}'")
        self.program = program
        self.release = release
        self.revision = revision
        self.known = tuple(known)


class Unschedulable(Exception):
    """The latest revision cannot be scheduled at all (nobody can do a task, ...)."""

    def __init__(self, program: str, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"'{program}' cannot be scheduled")
        self.program = program
        self.diagnostics = tuple(diagnostics)


def render_value(kind: str, field: str, value: str) -> str:
    """The YAML to write for a form's value, or EditRefused: free text is quoted, everything
    else must be one plain word (so a value can never add keys or lines to the file)."""
    text = value.strip()
    if field == "title":
        # Control characters, and U+0085 / U+2028 / U+2029, which YAML reads as line breaks.
        if not text or len(text) > 200 or any(_category(c) in _NOT_IN_A_LINE for c in text):
            raise EditRefused(f"the {kind}'s title must be 1..200 characters on one line")
        # A JSON string is a YAML double-quoted one. Its quotes are written \u0022, so that
        # the edit which replaces it later finds where it ends (at the next quote).
        return json.dumps(text, ensure_ascii=False).replace('\\"', "\\u0022")
    if kind == "task" and field == "assignee":
        names = [n for n in re.split(r"[,\s]+", text) if n]
        if not all(_PLAIN.fullmatch(n) for n in names):
            raise EditRefused("assignee: person ids separated by commas")
        return "[" + ", ".join(names) + "]"
    if kind == "risk" and field == "status" and text not in _RISK_STATUS:
        raise EditRefused("status: open, closed or occurred")
    if not _PLAIN.fullmatch(text):
        raise EditRefused(f"{field}: '{value}' is not a value the plan language takes here")
    return text


def unified_diff(before: Sequence[tuple[str, str]], after: Sequence[tuple[str, str]]) -> str:
    """The YAML diff between two revisions' files, as `git diff` shows it."""
    old = dict(before)
    new = dict(after)
    out: list[str] = []
    for name in sorted(set(old) | set(new)):
        out.extend(
            difflib.unified_diff(
                old.get(name, "").splitlines(keepends=True),
                new.get(name, "").splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


class Programs:
    """The store's programs for the web app: assessments cached by what they depend on."""

    def __init__(
        self,
        workspace: Workspace,
        options: AssessOptions | None = None,
        *,
        cache_size: int = 32,
        derived_size: int = 16,
        workers: int = 2,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.workspace = workspace
        self.options = options or AssessOptions()
        self.jobs = Jobs(workers)
        self.today = today or _today  # ONTRACK_TODAY pins it, as for every command
        self._cache: OrderedDict[tuple[Any, ...], ProgramView] = OrderedDict()
        self._size = cache_size
        # Per program: the fingerprint last seen and the latest baseline's name under it (the
        # fingerprint changes whenever a baseline is set, replaced or removed).
        self._latest: dict[str, tuple[str, str | None]] = {}
        # What a front end made of a cached view (a rendered page): (view key, what) -> it.
        self._derived: OrderedDict[tuple[Any, Any], Any] = OrderedDict()
        self._derived_size = derived_size
        self._lock = threading.Lock()
        self._write = threading.Lock()  # one edit at a time per process (the store locks too)

    def close(self) -> None:
        self.jobs.close()

    # -- reading ----------------------------------------------------------------------------

    def names(self) -> list[str]:
        return self.workspace.programs()

    def latest_baseline(self, program: str) -> str | None:
        baselines = self.workspace.baselines(program)
        return baselines[-1].name if baselines else None

    def key(
        self, program: str, *, as_of: dt.date | None = None, baseline: str | None = None
    ) -> tuple[Any, ...]:
        """What the assessment depends on: the store's state of the program, the as-of day
        asked for (and today, which the default rule may fall back to), the baseline and the
        options."""
        return self._key(program, self.workspace.fingerprint(program), as_of, baseline)

    def _key(
        self, program: str, fingerprint: str, as_of: dt.date | None, baseline: str | None
    ) -> tuple[Any, ...]:
        return (program, fingerprint, as_of, self.today(), baseline, repr(self.options))

    def _current(self, program: str, baseline: str | None) -> tuple[str, str | None]:
        """The program's fingerprint and the baseline to compare with (``baseline``, else the
        latest): one query per page view while the store is unchanged."""
        fingerprint = self.workspace.fingerprint(program)
        if baseline is not None:
            return fingerprint, baseline
        with self._lock:
            seen = self._latest.get(program)
        if seen is not None and seen[0] == fingerprint:
            return seen
        latest = self.latest_baseline(program)
        with self._lock:
            self._latest[program] = (fingerprint, latest)
        return fingerprint, latest

    def cached(
        self, program: str, *, as_of: dt.date | None = None, baseline: str | None = None
    ) -> ProgramView | None:
        fingerprint, chosen = self._current(program, baseline)
        key = self._key(program, fingerprint, as_of, chosen)
        with self._lock:
            view = self._cache.get(key)
            if view is not None:
                self._cache.move_to_end(key)
            return view

    def start(
        self, program: str, *, as_of: dt.date | None = None, baseline: str | None = None
    ) -> Job:
        """The assessment in the background (joined when already running)."""
        fingerprint, chosen = self._current(program, baseline)
        key = self._key(program, fingerprint, as_of, chosen)
        return self.jobs.submit(
            key,
            f"assessing {program}",
            lambda progress: self._compute(program, key, as_of, chosen, progress),
            program=program,
        )

    def view(
        self, program: str, *, as_of: dt.date | None = None, baseline: str | None = None
    ) -> ProgramView:
        """The assessment, from the cache or computed now (raises Unschedulable)."""
        hit = self.cached(program, as_of=as_of, baseline=baseline)
        if hit is not None:
            return hit
        result: ProgramView = self.start(program, as_of=as_of, baseline=baseline).result()
        return result

    def _compute(
        self,
        program: str,
        key: tuple[Any, ...],
        as_of: dt.date | None,
        baseline: str | None,
        progress: Callable[[float], None] | None,
    ) -> ProgramView:
        import time  # noqa: PLC0415

        from ontrack.app.asof import resolve_as_of  # noqa: PLC0415

        started = time.perf_counter()
        number = self.workspace.resolve(program, None)
        revision = next(r for r in self.workspace.revisions(program) if r.number == number)
        plan = self.workspace.revision_plan(program, number)
        tracked = self.workspace.read_tracked(plan, baseline, until=as_of)
        when = resolve_as_of(plan, tracked.facts, as_of)
        assessed, diagnostics = assess(
            plan,
            self.options,
            as_of=when,
            facts=tracked.facts,
            tracking=tracked.baseline,
            progress=progress,
            synced=tracked.synced,
            signoffs=tracked.signoffs,
        )
        if assessed is None:
            raise Unschedulable(program, diagnostics)
        view = ProgramView(
            program, revision, baseline, assessed, tracked, key, time.perf_counter() - started
        )
        with self._lock:
            self._cache[key] = view
            self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                gone, _ = self._cache.popitem(last=False)
                for dropped in [k for k in self._derived if k[0] == gone]:
                    del self._derived[dropped]
        settle()  # the view lives long: out of the collector's sight
        return view

    def peek(self, view: ProgramView, what: Any) -> Any | None:
        """What :meth:`derived` holds for ``(view, what)``, or None (nothing is made)."""
        with self._lock:
            return self._derived.get((view.key, what))

    def derived(self, view: ProgramView, what: Any, make: Callable[[], Any]) -> Any:
        """``make()`` for this view, made once while the view is cached: ``what`` names the
        result and everything else it depends on (a page, and whom it is rendered for). The
        web app keeps rendered pages here, so a change to the store (a new view) is never
        served from them. At most ``derived_size`` results, the least recently used dropped
        first, and a view's go with it."""
        key = (view.key, what)
        with self._lock:
            if key in self._derived:
                self._derived.move_to_end(key)
                return self._derived[key]
        value = make()
        with self._lock:
            if self._cache.get(view.key) is view:  # not for a view already dropped
                self._derived[key] = value
                while len(self._derived) > self._derived_size:
                    self._derived.popitem(last=False)
        return value

    def revisions(self, program: str) -> list[RevisionInfo]:
        return self.workspace.revisions(program)

    def baselines(self, program: str) -> list[BaselineInfo]:
        return self.workspace.baselines(program)

    def revision_diff(self, program: str, number: int) -> tuple[str, PlanDiff | None]:
        """The YAML diff of revision ``number`` against the one before it, and what changed
        in the plan's terms (None for the first revision)."""
        from ontrack.app.workspace import plan_changes  # noqa: PLC0415

        number = self.workspace.resolve(program, number)
        after = self.workspace.files(program, number)
        if number == 1:
            return unified_diff([], after), None
        before = self.workspace.files(program, number - 1)
        pair = self.workspace.revision_pair(program, number - 1, number)
        return unified_diff(before, after), plan_changes(pair.before, pair.after, dates=False)

    def status_report(
        self, view: ProgramView, audience: Literal["exec", "team"], fmt: Literal["markdown", "html"]
    ) -> str:
        """The weekly status report (``ontrack status``) of the view's assessment."""
        from ontrack.app.views import plan_changes_in  # noqa: PLC0415
        from ontrack.reports.status import build_status, render  # noqa: PLC0415

        assessed = view.assessment
        data = assessed.report
        since = data.status_date - dt.timedelta(days=7)
        windowed = self.workspace.read_tracked(
            assessed.plan, view.baseline, until=data.status_date, window=(since, data.status_date)
        )
        report = build_status(
            data,
            assessed.plan,
            since=since,
            audience=audience,
            facts=[f for f in view.tracked.facts if f.status_date <= data.status_date],
            tracking=assessed.tracking,
            changes=plan_changes_in(windowed, since, data.status_date),
            grouping="auto",
        )
        return render(report, fmt)

    # -- acting -----------------------------------------------------------------------------

    def _edited_files(
        self, program: str, number: int, edits: Sequence[FieldEdit]
    ) -> tuple[list[tuple[str, str]], Plan, Plan, tuple[str, ...]]:
        files = self.workspace.files(program, number)
        plan = self.workspace.revision_plan(program, number)
        result = edit_texts(plan, files, edits)
        if result.refused:
            raise EditRefused("; ".join(result.refused))
        changed, diagnostics = load_plan_texts(result.files)
        errors = [d for d in diagnostics if d.is_error]
        if changed is None or errors:
            raise EditRefused("the plan would no longer load", errors or diagnostics)
        if changed.program.name != program:
            raise EditRefused("an edit cannot rename the program")
        return list(result.files), plan, changed, result.done

    def edit(
        self,
        program: str,
        base: int,
        edits: Sequence[FieldEdit],
        *,
        author: str,
        message: str,
    ) -> Edited | Conflict:
        """Record ``edits`` made on revision ``base`` as the next revision; when ``base`` is
        not the latest any more, nothing is written and the changes since are returned."""
        with self._write:
            latest = self.workspace.resolve(program, None)
            if base != latest:
                return self.conflict(program, base, latest)
            files, _, changed, done = self._edited_files(program, base, edits)
            applied = self.workspace.apply(changed, files, author=author, message=message)
            if applied.revision.number != latest + 1 and applied.recorded:
                # Another process recorded a revision between our check and the write.
                return self.conflict(program, base, applied.revision.number)
            return Edited(
                program,
                applied.revision,
                done,
                unified_diff(self.workspace.files(program, base), files),
            )

    def conflict(self, program: str, base: int, latest: int) -> Conflict:
        from ontrack.app.workspace import plan_changes  # noqa: PLC0415

        pair = self.workspace.revision_pair(program, base, latest)
        changes = plan_changes(pair.before, pair.after, dates=False)
        return Conflict(
            program,
            base,
            latest,
            tuple(_change_lines(changes)),
            unified_diff(
                self.workspace.files(program, base), self.workspace.files(program, latest)
            ),
        )

    def what_if(self, program: str, edits: Sequence[FieldEdit]) -> WhatIf:
        """The assessment with ``edits`` applied to the latest revision, saved nowhere."""
        view = self.view(program)
        _, _, changed, done = self._edited_files(program, view.revision.number, edits)
        assessed = view.assessment
        after, diagnostics = assess(
            changed,
            self.options,
            as_of=assessed.as_of,
            facts=view.tracked.facts,
            tracking=assessed.tracking,
            synced=view.tracked.synced,
            signoffs=view.tracked.signoffs,
        )
        if after is None:
            raise EditRefused("the changed plan cannot be scheduled", diagnostics)
        return WhatIf(assessed, after, tuple(edits), done)

    def record_progress(self, program: str, facts: Sequence[ProgressFact]) -> tuple[int, int]:
        return self.workspace.record_progress(program, facts)

    def record_progress_csv(
        self, program: str, text: str, *, status_date: dt.date | None = None
    ) -> tuple[int, int, tuple[Diagnostic, ...]]:
        """A progress CSV as `ontrack progress` reads it: all rows recorded, or none."""
        import tempfile  # noqa: PLC0415
        from pathlib import Path  # noqa: PLC0415

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "progress.csv"
            path.write_text(text, encoding="utf-8")
            result = self.workspace.record_progress_file(
                program, path, status_date=status_date, latest=self.today()
            )
        return result.added, result.replaced, result.diagnostics

    def start_sync(self, program: str, *, author: str) -> Job:
        """``ontrack sync`` of the latest revision's sources, in the background (joined when
        one runs already); its progress grows with every page stored."""
        number = self.workspace.resolve(program, None)
        plan = self.workspace.revision_plan(program, number)
        if not plan.trackers:
            raise EditRefused("the plan names no tracker sources (`sources:`)")
        files = self.workspace.files(program, number)

        def work(progress: Callable[[float], None]) -> dict[str, Any]:
            from ontrack.app.sync import sync  # noqa: PLC0415

            pages = 0

            def on_page(source: str, page: int, items: int) -> None:
                nonlocal pages
                pages += 1
                progress(pages / (pages + 4))  # the number of pages is not known ahead

            result = sync(self.workspace, plan, files, author=author, on_page=on_page)
            data: dict[str, Any] = result.to_json()
            return data

        return self.jobs.submit(("sync", program), f"syncing {program}", work, program=program)

    def sign_release(
        self,
        program: str,
        release: str,
        *,
        role: str,
        decision: str,
        name: str,
        note: str = "",
    ) -> SignOff:
        """Record a go/no-go sign-off of ``release`` at the latest revision, as ``ontrack release
        sign`` does: UnknownRelease when that revision's plan has no such release, EditRefused
        (E486) for a role it does not list, a decision other than go / no-go, or a name or note
        the store cannot keep (nothing is written then)."""
        from ontrack.app.workspace import StoreError  # noqa: PLC0415
        from ontrack.diagnostics import error  # noqa: PLC0415
        from ontrack.model.signoff import SignOff  # noqa: PLC0415

        if decision not in ("go", "no-go"):
            raise EditRefused("the decision is go or no-go")
        who = name.strip()
        if not who:
            raise EditRefused("a sign-off needs the signer's name")
        text = note.strip()
        if len(text) > 2000 or any(_category(c) in ("Cc", "Cs") and c not in "\n\t" for c in text):
            raise EditRefused("the note must be plain text of at most 2,000 characters")
        with self._write:
            number = self.workspace.resolve(program, None)
            plan = self.workspace.revision_plan(program, number)
            found = next((r for r in plan.releases if r.id == release), None)
            if found is None:
                raise UnknownRelease(program, release, number, [r.id for r in plan.releases])
            wanted = role.strip().lower()
            if not wanted or (found.signoffs and wanted not in found.signoffs):
                roles = ", ".join(found.signoffs)
                message = f"release '{release}' has no sign-off role '{role.strip()}'"
                hint = f"sign as one of: {roles}" if roles else "name a role"
                raise EditRefused(
                    f"{message}: {hint}",
                    [error("E486", found.locs.get("signoffs", found.loc), message, hint)],
                )
            try:
                return self.workspace.sign_release(
                    program,
                    SignOff(
                        release=release,
                        role=wanted,
                        name=who,
                        decision="no-go" if decision == "no-go" else "go",
                        signed_at=dt.datetime.now(dt.UTC),
                        revision=number,
                        note=text,
                    ),
                )
            except StoreError as exc:
                if exc.code != "E514":
                    raise
                raise EditRefused(str(exc)) from None

    def set_baseline(self, program: str, name: str, *, replace_it: bool = False) -> BaselineInfo:
        result = self.workspace.set_baseline(program, name, replace=replace_it)
        if result.baseline is None:
            raise EditRefused("the latest revision cannot be scheduled", result.diagnostics)
        return result.baseline


def progress_fact(
    task: str,
    status_date: dt.date,
    *,
    percent: str = "",
    remaining: str = "",
    actual_start: dt.date | None = None,
    actual_finish: dt.date | None = None,
    note: str = "",
    source: str,
) -> ProgressFact:
    """A progress fact from a form's fields (EditRefused when a number does not read)."""
    from ontrack.store.repo import ProgressFact  # noqa: PLC0415

    def number(label: str, text: str, top: Decimal) -> Decimal | None:
        text = text.strip().rstrip("%d ").strip()
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise EditRefused(f"{label}: '{text}' is not a number") from None
        if not value.is_finite() or not 0 <= value <= top:
            raise EditRefused(f"{label} must be within 0..{top}")
        return value

    pct = number("percent complete", percent, Decimal(100))
    left = number("remaining working days", remaining, Decimal(2600))
    if pct is None and left is None and actual_start is None and actual_finish is None:
        raise EditRefused("give a percent complete, the remaining days or an actual date")
    if pct == 100 and actual_finish is None:
        actual_finish = status_date
    if len(note) > 2000 or any(ord(c) < 32 and c not in "\n\t" for c in note):
        raise EditRefused("the note must be plain text of at most 2,000 characters")
    return ProgressFact(
        task,
        status_date,
        actual_start=actual_start,
        actual_finish=actual_finish,
        percent_complete=pct,
        remaining_days=left,
        note=note,
        source=source,
    )


def _change_lines(diff: PlanDiff) -> list[str]:
    """One sentence per change, for a refused edit: "task 'api' changed: estimate 3d -> 5d"."""
    lines: list[str] = []
    for noun, changes in (("task", diff.tasks), ("risk", diff.risks)):
        for change in changes[:100]:
            what = f"{noun} '{change.id}' ({change.title}) {change.kind}"
            if change.fields:
                what += ": " + "; ".join(
                    f"{f.field} {f.old or '(none)'} -> {f.new or '(none)'}" for f in change.fields
                )
            lines.append(what)
    return lines


def with_options(programs: Programs, **changes: Any) -> AssessOptions:
    """The service's options with some changed (iterations, seed, ...)."""
    return replace(programs.options, **changes)


def _today() -> dt.date:
    from ontrack.app.asof import today  # noqa: PLC0415

    return today()
