"""The ``ontrack`` command: a thin layer over the loader and the engines."""

from __future__ import annotations

import sys

import typer

from ontrack import __version__
from ontrack.cli import (
    assess,
    audit,
    check,
    dora,
    evm,
    forecast,
    generate,
    history,
    interchange,
    link,
    release,
    report,
    risks,
    schedule,
    schema,
    scope,
    serve,
    show,
    status,
    sync,
    track,
    users,
)
from ontrack.cli.flags import App
from ontrack.cli.output import stderr

app = App(
    name="ontrack",
    help=(
        "ontrack: a technical program manager in a box.\n\n"
        "Write a program down as YAML plan files; ontrack checks them, summarises, "
        "schedules and forecasts them.\n\n"
        "Example: ontrack check examples/platform-migration"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ontrack {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """ontrack: a technical program manager in a box."""


app.command("check")(check.check)
app.command("assess")(assess.assess_command)
app.command("show")(show.show)
app.command("schedule")(schedule.schedule_command)
app.command("forecast")(forecast.forecast_command)
app.command("backtest")(history.backtest)
app.command("schema")(schema.schema)
app.command("apply")(track.apply)
app.command("log")(track.log)
app.command("diff")(track.diff)
app.command("progress")(track.progress)
app.command("budget")(track.budget)
app.add_typer(track.baseline_app, name="baseline")
app.command("evm")(evm.evm_command)
app.command("dora")(dora.dora_command)
app.command("scope")(scope.scope_command)
app.command("audit")(audit.audit_command)
app.command("risks")(risks.risks_command)
app.command("export")(interchange.export_command)
app.command("import")(interchange.import_command)
app.command("report")(report.report_command)
app.command("status")(status.status_command)
app.command("generate")(generate.generate)
app.command("sync")(sync.sync_command)
app.command("link")(link.link_command)
app.command("serve")(serve.serve_command)
app.add_typer(release.release_app, name="release")
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")


def run() -> None:
    """Console entry point: no traceback ever reaches the user."""
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, exit 1
        stderr.print(
            f"ontrack: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in ontrack; please report it with the command you ran."
        )
        sys.exit(1)


if __name__ == "__main__":
    run()
