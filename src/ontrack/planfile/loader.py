"""``load_plan``: plan files in, a validated Plan and every diagnostic out, in one pass."""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ontrack.checks import POOL_CODES, REF_CODES, run_checks
from ontrack.diagnostics import Diagnostic, SourceLoc, error, has_errors, sorted_diagnostics
from ontrack.fileio import is_inside, read_text_limited
from ontrack.gcpause import gc_paused
from ontrack.model import Calendar, Plan
from ontrack.planfile import schema as s
from ontrack.planfile import yamlread
from ontrack.planfile.build import Builder
from ontrack.planfile.validate import Item, validate_item, validate_list, validate_tasks
from ontrack.planfile.yamlread import PosDict, PosList, YamlDoc, read_yaml_bytes, read_yaml_file

PLAN_SUFFIXES = (".yaml", ".yml")
_ALL_SECTIONS = [*s.SINGLETONS, *s.SECTIONS]


@dataclass
class _Collected:
    """Everything validated from all files, before records are built."""

    singletons: dict[str, Item[Any]] = field(default_factory=dict)
    lists: dict[str, list[Item[Any]]] = field(default_factory=lambda: {k: [] for k in s.SECTIONS})
    invalid_ids: set[str] = field(default_factory=set)
    invalid_sections: set[str] = field(default_factory=set)
    people_dropped: bool = False  # a person failed validation: the pool of people is incomplete
    first_loc: SourceLoc | None = None


def plan_files(path: Path) -> list[Path]:
    """The YAML files of a plan folder, recursively, in a stable order (hidden folders skipped)."""
    found: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in sorted(files) if f.endswith(PLAN_SUFFIXES))
    return found


#: Set to 1 to let a plan folder's symlinks reach files outside it (see ``load_plan``).
ALLOW_OUTSIDE_LINKS_ENV = "ONTRACK_ALLOW_OUTSIDE_LINKS"


def load_plan(
    path: str | os.PathLike[str], *, allow_outside_links: bool | None = None
) -> tuple[Plan | None, list[Diagnostic]]:
    """Load a plan file or a folder of plan files.

    Returns the plan (None when there are errors) and all diagnostics, sorted by position.
    Never raises for bad input.

    A symlink in a folder that leads out of it is refused (E010) unless ``allow_outside_links``;
    None (the default) takes it from ``$ONTRACK_ALLOW_OUTSIDE_LINKS`` (1, true or yes).
    """
    if allow_outside_links is None:
        allow_outside_links = outside_links_allowed()
    with gc_paused():
        return _load_path(Path(path), allow_outside_links=allow_outside_links)


def outside_links_allowed() -> bool:
    """Whether ``$ONTRACK_ALLOW_OUTSIDE_LINKS`` says to follow links out of a plan folder."""
    value = os.environ.get(ALLOW_OUTSIDE_LINKS_ENV, "")
    return value.strip().lower() in {"1", "true", "yes"}


def _outside_link(file: Path) -> Diagnostic:
    return error(
        "E010",
        SourceLoc(str(file)),
        "symlink leads out of the plan folder; not read",
        "copy the file into the folder, or set ONTRACK_ALLOW_OUTSIDE_LINKS=1 to follow it",
    )


def _read_folder_file(file: Path, root: Path, allow_outside_links: bool) -> YamlDoc:
    if not allow_outside_links and not is_inside(file, root):
        return YamlDoc(str(file), None, [_outside_link(file)])
    return read_yaml_file(file)


def _load_path(root: Path, *, allow_outside_links: bool) -> tuple[Plan | None, list[Diagnostic]]:
    if root.is_dir():
        files = plan_files(root)
        if not files:
            return None, [
                error(
                    "E001",
                    SourceLoc(str(root)),
                    "folder has no .yaml plan files",
                    "point at a plan file, or a folder that holds some",
                )
            ]
        docs = [_read_folder_file(f, root, allow_outside_links) for f in files]
    elif root.exists() or root.is_symlink():
        docs = [read_yaml_file(root)]
    else:
        return None, [
            error("E001", SourceLoc(str(root)), "no such file or folder", "check the path")
        ]
    return _load_docs([(d.path, d.data, d.diagnostics) for d in docs])


def load_plan_text(text: str, name: str = "<plan>") -> tuple[Plan | None, list[Diagnostic]]:
    """Load a plan from text (tests, the web app, stdin)."""
    with gc_paused():
        doc = read_yaml_bytes(text.encode("utf-8", "surrogatepass"), name)
        return _load_docs([(doc.path, doc.data, doc.diagnostics)])


def load_plan_texts(files: Sequence[tuple[str, str]]) -> tuple[Plan | None, list[Diagnostic]]:
    """Load a plan from several named texts, as a folder of those files would load (the store
    keeps each revision's files this way)."""
    with gc_paused():
        docs = [
            read_yaml_bytes(text.encode("utf-8", "surrogatepass"), name) for name, text in files
        ]
        return _load_docs([(d.path, d.data, d.diagnostics) for d in docs])


def plan_sources(
    path: str | os.PathLike[str], *, allow_outside_links: bool | None = None
) -> list[tuple[str, str]]:
    """The files of a plan as (name relative to the plan's folder, text), in loading order.
    Raises OSError or UnicodeDecodeError; callers load the plan first, which reports those.
    Reads as ``load_plan`` does: regular files only, within the size limit, and no symlink out
    of the folder unless ``allow_outside_links`` (None: from the environment)."""
    if allow_outside_links is None:
        allow_outside_links = outside_links_allowed()
    root = Path(path)
    limit = yamlread.MAX_FILE_BYTES
    if root.is_dir():
        found: list[tuple[str, str]] = []
        for f in plan_files(root):
            if not allow_outside_links and not is_inside(f, root):
                raise OSError(errno.EPERM, "symlink leads out of the plan folder", str(f))
            found.append((f.relative_to(root).as_posix(), read_text_limited(f, limit)))
        return found
    return [(root.name, read_text_limited(root, limit))]


def _load_docs(
    docs: Sequence[tuple[str, Any, list[Diagnostic]]],
) -> tuple[Plan | None, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    collected = _Collected()
    for name, data, doc_diagnostics in docs:
        diagnostics.extend(doc_diagnostics)
        if data is not None or not doc_diagnostics:  # a bare `null` document is no plan either
            _collect(name, data, collected, diagnostics)
    plan, build_diagnostics = _build(collected, [name for name, _, _ in docs])
    diagnostics.extend(build_diagnostics)
    if plan is not None:
        diagnostics.extend(
            d
            for d in run_checks(plan)
            # A reference to an item that failed validation was already reported there.
            if not (d.code in REF_CODES and d.subjects and d.subjects[-1] in collected.invalid_ids)
            and not (d.code in POOL_CODES and collected.people_dropped)
        )
    result = plan if plan is not None and not has_errors(diagnostics) else None
    return result, sorted_diagnostics(diagnostics)


def _collect(name: str, data: Any, out: _Collected, diagnostics: list[Diagnostic]) -> None:
    top = SourceLoc(name, 1, 1)
    if not isinstance(data, PosDict):
        diagnostics.append(
            error(
                "E102",
                top,
                "a plan file is a mapping of sections",
                "start with `program:` or `tasks:` at the left margin",
            )
        )
        return
    if out.first_loc is None:
        out.first_loc = top
    for key, value in data.items():
        where = data.value_locs[key]
        if key in s.SINGLETONS:
            label = f"`{key}`"
            spec = validate_item(s.SINGLETONS[key], value, where, label, diagnostics)
            if spec is None:
                out.invalid_sections.add(key)
                continue
            if key in out.singletons:
                diagnostics.append(
                    error(
                        "E120",
                        data.key_locs[key],
                        f"`{key}` is defined in more than one file",
                        f"keep one `{key}:` section for the whole plan",
                        related=(out.singletons[key].raw.loc,),
                    )
                )
                continue
            out.singletons[key] = Item(spec, value)
        elif key == "tasks":
            out.lists[key].extend(validate_tasks(value, where, diagnostics, out.invalid_ids))
        elif key in s.SECTIONS:
            items = validate_list(s.SECTIONS[key], key, value, where, diagnostics, out.invalid_ids)
            out.lists[key].extend(items)
            if key == "people" and isinstance(value, PosList) and len(items) < len(value):
                out.people_dropped = True
        else:
            close = difflib.get_close_matches(key, _ALL_SECTIONS, n=1, cutoff=0.6)
            diagnostics.append(
                error(
                    "E100",
                    data.key_locs[key],
                    f"unknown section '{key}'",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "sections are: " + ", ".join(_ALL_SECTIONS),
                )
            )


def _build(collected: _Collected, names: list[str]) -> tuple[Plan | None, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    first = collected.first_loc
    if first is None:
        return None, diagnostics
    program_item = collected.singletons.get("program")
    if program_item is None and "program" not in collected.invalid_sections:
        diagnostics.append(
            error(
                "E121",
                first,
                "the plan has no `program` section",
                "add `program:` with at least `name:` and `start:`",
            )
        )
    lists = collected.lists
    calendars = [Builder.calendar(i.spec, i.spec.id, i.raw.loc) for i in lists["calendars"]]
    default = _default_calendar(collected, calendars)
    builder = Builder(default.hours_per_day, len(default.workweek))
    tasks = builder.tasks(lists["tasks"])
    plan = Plan(
        program=builder.program(program_item),
        calendar=default,
        calendars=tuple(calendars),
        people=tuple(builder.person(i) for i in lists["people"]),
        teams=tuple(builder.team(i) for i in lists["teams"]),
        tasks=tasks,
        risks=tuple(builder.risk(i) for i in lists["risks"]),
        releases=tuple(builder.release(i) for i in lists["releases"]),
        trains=tuple(builder.train(i) for i in lists["trains"]),
        delivery=builder.delivery(collected.singletons.get("delivery")),
        stakeholders=tuple(builder.stakeholder(i) for i in lists["stakeholders"]),
        assumptions=tuple(builder.raid(i) for i in lists["assumptions"]),
        issues=tuple(builder.raid(i) for i in lists["issues"]),
        decisions=tuple(builder.raid(i) for i in lists["decisions"]),
        sources=tuple(names),
        trackers=tuple(builder.source(i) for i in lists["sources"]),
    )
    diagnostics.extend(builder.diagnostics)
    for kind, records in (
        ("calendar", plan.calendars),
        ("person", plan.people),
        ("team", plan.teams),
        ("task", plan.tasks),
        ("risk", plan.risks),
        ("release", plan.releases),
        ("train", plan.trains),
        ("stakeholder", plan.stakeholders),
        ("RAID entry", (*plan.assumptions, *plan.issues, *plan.decisions)),
    ):
        diagnostics.extend(_duplicates(kind, records))
    if program_item is None:
        return None, diagnostics
    return plan, diagnostics


def _default_calendar(collected: _Collected, calendars: list[Calendar]) -> Calendar:
    program = collected.singletons.get("program")
    wanted = program.spec.calendar if program is not None else None
    for cal in calendars:
        if cal.id == wanted:
            return cal
    item = collected.singletons.get("calendar")
    if item is not None:
        return Builder.calendar(item.spec, "default", item.raw.loc)
    return Calendar()


def _duplicates(kind: str, records: Iterable[Any]) -> list[Diagnostic]:
    seen: dict[str, SourceLoc] = {}
    out: list[Diagnostic] = []
    for record in records:
        if record.id in seen:
            out.append(
                error(
                    "E200",
                    record.loc,
                    f"{kind} id '{record.id}' is defined twice",
                    "rename one of them; ids are unique across all plan files",
                    subjects=(record.id,),
                    related=(seen[record.id],),
                )
            )
        else:
            seen[record.id] = record.loc
    return out
