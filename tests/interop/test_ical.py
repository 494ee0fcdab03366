

def test_a_program_name_with_line_breaks_still_makes_a_valid_calendar() -> None:
    """Found by the fuzz suite: X-WR-CALNAME is not escaped like TEXT, so a line break in the
    program's name broke the file (icalendar refused to write it)."""
    import datetime as dt

    import icalendar

    from ontrack.engines.schedule.planner import schedule
    from ontrack.interop.ical import milestones_ics
    from ontrack.planfile import load_plan_text

    plan, _ = load_plan_text(
        'program: {name: "Two\\nlines\\r", start: 2026-01-05}\n'
        'tasks:\n  - {id: m, title: "Sign\\noff", milestone: true}\n'
    )
    assert plan is not None
    result, _ = schedule(plan)
    assert result is not None
    data = milestones_ics(plan, result, None, stamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    cal = icalendar.Calendar.from_ical(data)
    assert cal["x-wr-calname"] == "Two lines: milestones and releases"
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Milestone: Sign\noff"]
