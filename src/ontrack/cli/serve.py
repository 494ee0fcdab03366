"""``ontrack serve``: the web app on the program's store (FastAPI, served by uvicorn)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer
from rich.markup import escape

from ontrack.cli.assessing import ITERATIONS_OPTION, SEED_OPTION, TIME_LIMIT_OPTION
from ontrack.cli.common import load_or_exit
from ontrack.cli.output import print_diagnostics, stderr
from ontrack.cli.track import DB_HELP
from ontrack.diagnostics import SourceLoc, error


def serve_command(
    plan: Path | None = typer.Argument(
        None,
        help="A plan file or folder: recorded as a revision when it changed, and its store "
        "served. Without it, the store of --db (or $ONTRACK_DB) is served as it is.",
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (loopback by default)."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    iterations: int = ITERATIONS_OPTION,
    seed: int = SEED_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
    workers: int = typer.Option(
        2, "--jobs", min=1, max=32, help="Background threads for assessments and syncs."
    ),
    processes: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Server processes. More serve more people at once (on 2 cores, 2 keep a "
        "1,000-task dashboard under 100 ms at 50 connections); each keeps its own cache and "
        "runs its own background jobs.",
    ),
) -> None:
    """Serve the web app: the portfolio, each program's dashboard (the same assessment as
    `ontrack assess`), task / person / milestone / risk pages, revisions, baselines, the status
    report, what-if, forms to record progress and edit the plan, and the REST API under
    /api/v1 (OpenAPI at /api/v1/openapi.json).

    A store without users, served on loopback, runs single-user (anyone who can reach the
    address is its admin) and says so; create the first admin with `ontrack user add NAME
    --superuser`. Serving on another address needs a user first.

    Example: ontrack serve examples/platform-migration
    """
    from ontrack.app.assessment import AssessOptions  # noqa: PLC0415
    from ontrack.app.workspace import StoreError, Workspace  # noqa: PLC0415
    from ontrack.planfile import plan_sources  # noqa: PLC0415

    if plan is not None:
        loaded = load_or_exit(plan, "nothing served", imports=False)
        try:
            files = plan_sources(plan)
        except (OSError, UnicodeDecodeError) as exc:
            print_diagnostics([error("E001", SourceLoc(str(plan)), f"cannot read: {exc}")], stderr)
            raise typer.Exit(1) from None
        who = os.environ.get("ONTRACK_AUTHOR") or getpass.getuser()
        try:
            Workspace.check_apply(loaded, files, author=who, message="served")
            with Workspace.open(db, plan, create=True) as workspace:
                applied = workspace.apply(
                    loaded, files, author=who, message="recorded by ontrack serve"
                )
                users = workspace.accounts().has_users()
        except StoreError as exc:
            stderr.print(f"[red]✗[/red] {exc.code} {escape(str(exc))}")
            raise typer.Exit(1) from None
        if applied.recorded:
            stderr.print(
                f"recorded {escape(str(plan))} as revision {applied.revision.number} of "
                f"'{escape(applied.program)}'"
            )
    else:
        try:
            with Workspace.open(db, None) as workspace:
                users = workspace.accounts().has_users()
        except StoreError as exc:
            stderr.print(f"[red]✗[/red] {exc.code} {escape(str(exc))}")
            raise typer.Exit(1) from None
    from ontrack.web.app import Settings, create_app  # noqa: PLC0415

    settings = Settings(
        db=db,
        plan=plan,
        host=host,
        options=AssessOptions(iterations=iterations, seed=seed, time_limit=time_limit),
        workers=workers,
    )
    if not users and not settings.loopback:
        stderr.print(
            f"[red]✗[/red] E530 no users in the store, and {escape(host)} is not a loopback "
            "address: anyone who reaches it would be the admin.\n"
            "  Create one first: ontrack user add NAME --superuser"
            + (f" --plan {escape(str(plan))}" if plan else "")
        )
        raise typer.Exit(1)
    if processes == 1:
        try:
            app = create_app(settings)
        except StoreError as exc:
            stderr.print(f"[red]✗[/red] {exc.code} {escape(str(exc))}")
            raise typer.Exit(1) from None
        for name in app.state.ontrack.programs.names():  # warm the cache while it starts
            app.state.ontrack.programs.start(name)
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    mode = (
        "single-user mode: no users yet, anyone who can reach this address is its admin"
        if not users
        else "log in with a user of the store"
    )
    stderr.print(f"[green]✓[/green] ontrack serves {where} ({mode}); Ctrl-C stops it")
    import uvicorn  # noqa: PLC0415

    if processes == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
        return
    from ontrack.web.app import SERVE_ENV, serve_settings_json  # noqa: PLC0415

    # Each worker process builds the same app from these settings (uvicorn's factory).
    os.environ[SERVE_ENV] = serve_settings_json(settings)
    uvicorn.run(
        "ontrack.web.app:from_environment",
        factory=True,
        workers=processes,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
    )
