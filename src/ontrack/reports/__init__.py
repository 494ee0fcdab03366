"""Reports for stakeholders: the self-contained HTML status report (``ontrack report``).

``build_report`` gathers the program assessment's figures (``ontrack.app.assessment``) into a
frozen ``ReportData``;
``render_report`` turns it into one HTML page. Jinja2 loads on first render only.
"""

from __future__ import annotations

from ontrack.reports.data import (
    ComplianceRow,
    Finding,
    RagRules,
    RagStatus,
    ReportData,
    ReportOptions,
    TrackingInput,
    build_report,
    rag_status,
)

__all__ = [
    "ComplianceRow",
    "Finding",
    "RagRules",
    "RagStatus",
    "ReportData",
    "ReportOptions",
    "TrackingInput",
    "build_report",
    "rag_status",
    "render_report",
]


def render_report(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    from ontrack.reports.html import render_report as render  # noqa: PLC0415 - Jinja2 on use

    return render(data)
