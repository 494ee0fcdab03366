"""``ontrack release``: release trains, readiness, go/no-go, sign-offs, scope slips and notes.

One module per command's glue where it grows; this one holds the group every release command
hangs from.
"""

from __future__ import annotations

from ontrack.cli.flags import App
from ontrack.cli.release_calendar import calendar_command
from ontrack.cli.release_gates import gonogo_command, sign_command, status_command
from ontrack.cli.release_notes import notes_command
from ontrack.cli.release_slip import slip_command

release_app = App(
    help=(
        "Releases: the train calendar, each release's readiness gates with evidence, the "
        "go/no-go document, recorded sign-offs, scope to slip to the next train, and release "
        "notes."
    ),
    no_args_is_help=True,
)
release_app.command("notes")(notes_command)
release_app.command("calendar")(calendar_command)
release_app.command("status")(status_command)
release_app.command("go-no-go")(gonogo_command)
release_app.command("sign")(sign_command)
release_app.command("slip")(slip_command)
