"""ontrack: a technical program manager in a box.

The public API: load a plan, inspect its records and diagnostics.
"""

from ontrack.diagnostics import Diagnostic, Severity, SourceLoc
from ontrack.model import (
    Calendar,
    DateRange,
    Dependency,
    DepType,
    Duration,
    Estimate,
    Person,
    Plan,
    Program,
    Release,
    Risk,
    Stakeholder,
    Task,
    Team,
)
from ontrack.planfile import load_plan, load_plan_text

__version__ = "0.1.0"

__all__ = [
    "Calendar",
    "DateRange",
    "DepType",
    "Dependency",
    "Diagnostic",
    "Duration",
    "Estimate",
    "Person",
    "Plan",
    "Program",
    "Release",
    "Risk",
    "Severity",
    "SourceLoc",
    "Stakeholder",
    "Task",
    "Team",
    "__version__",
    "load_plan",
    "load_plan_text",
]
