"""MPXJ (the Java library MS Project tools are checked against, through JPype) as an independent
reader of project files. The JVM starts once per test session, on first use; tests that need it
skip with the reason when mpxj, JPype or Java is missing."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class MpxjTask:
    unique_id: int
    name: str
    outline_level: int
    outline_number: str
    summary: bool
    milestone: bool
    text1: str | None  # ontrack's task id, in our exports
    duration_minutes: float | None
    work_minutes: float | None
    pert_minutes: tuple[float | None, float | None, float | None]
    predecessors: tuple[tuple[int, str, float], ...]  # (predecessor UID, type, lag minutes)


@dataclass(frozen=True)
class MpxjProject:
    minutes_per_day: int
    tasks: tuple[MpxjTask, ...]
    resources: tuple[dict[str, Any], ...]
    assignments: tuple[tuple[int, int, float], ...]  # (task UID, resource UID, units %)
    calendars: dict[str, list[tuple[str, str]]]  # name -> exception ranges (ISO dates)

    @property
    def link_count(self) -> int:
        return sum(len(t.predecessors) for t in self.tasks)


class Mpxj:
    """Reads a file with MPXJ's UniversalProjectReader into plain Python values."""

    def __init__(self, jpype: Any) -> None:
        self.jpype = jpype
        self.reader = jpype.JClass("org.mpxj.reader.UniversalProjectReader")
        self.minutes = jpype.JClass("org.mpxj.TimeUnit").MINUTES

    def read(self, path: Path) -> MpxjProject | None:
        project = self.reader().read(str(path))
        if project is None:
            return None
        props = project.getProjectProperties()

        def minutes(value: Any) -> float | None:
            return (
                None
                if value is None
                else float(value.convertUnits(self.minutes, props).getDuration())
            )

        tasks = []
        for t in project.getTasks():
            preds = tuple(
                (
                    int(r.getPredecessorTask().getUniqueID()),
                    str(r.getType()),
                    float(minutes(r.getLag()) or 0.0),
                )
                for r in t.getPredecessors()
            )
            tasks.append(
                MpxjTask(
                    unique_id=int(t.getUniqueID()),
                    name=str(t.getName()) if t.getName() is not None else "",
                    outline_level=int(t.getOutlineLevel() or 0),
                    outline_number=str(t.getOutlineNumber()),
                    summary=bool(t.getSummary()),
                    milestone=bool(t.getMilestone()),
                    text1=None if t.getText(1) is None else str(t.getText(1)),
                    duration_minutes=minutes(t.getDuration()),
                    work_minutes=minutes(t.getWork()),
                    pert_minutes=(
                        minutes(t.getDuration(1)),
                        minutes(t.getDuration(2)),
                        minutes(t.getDuration(3)),
                    ),
                    predecessors=preds,
                )
            )
        resources = tuple(
            {
                "unique_id": int(r.getUniqueID()),
                "name": None if r.getName() is None else str(r.getName()),
                "code": None if r.getCode() is None else str(r.getCode()),
                "max_units": None if r.getMaxUnits() is None else float(r.getMaxUnits()),
                "rate": None if r.getStandardRate() is None else str(r.getStandardRate()),
                "calendar": None if r.getCalendar() is None else str(r.getCalendar().getName()),
            }
            for r in project.getResources()
        )
        assignments = tuple(
            (
                int(a.getTask().getUniqueID()),
                int(a.getResourceUniqueID()),
                float(a.getUnits()),
            )
            for a in project.getResourceAssignments()
            if a.getResource() is not None
        )
        calendars = {
            str(c.getName()): [
                (str(e.getFromDate()), str(e.getToDate())) for e in c.getCalendarExceptions()
            ]
            for c in project.getCalendars()
        }
        return MpxjProject(
            int(props.getMinutesPerDay()), tuple(tasks), resources, assignments, calendars
        )


_STARTED: list[Mpxj] = []


@pytest.fixture(scope="module")
def mpxj() -> Iterator[Mpxj]:
    """MPXJ, with the JVM started on first use (a JVM cannot restart: it stays up)."""
    if not _STARTED:
        try:  # untyped modules, so imported by name
            jpype = importlib.import_module("jpype")
            importlib.import_module("mpxj")  # puts MPXJ's jars on the class path
        except ImportError as exc:
            pytest.skip(f"MPXJ is not installed (pip install mpxj): {exc}")
        try:
            if not jpype.isJVMStarted():
                jpype.startJVM()
            _STARTED.append(Mpxj(jpype))
        except Exception as exc:  # no Java, or a JVM that cannot start here
            pytest.skip(f"the JVM for MPXJ cannot start: {exc}")
    yield _STARTED[0]
