"""The ``ontrack`` command: a thin layer over the loader and the engines."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from ontrack import __version__
from ontrack.cli.flags import App
from ontrack.cli.output import stderr

# Command name -> (module, attribute, a group of subcommands?). The entry point imports only
# the module of the command being run: importing every command's engines and reports costs
# about a third of a small plan's whole `ontrack schedule`.
_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "check": ("check", "check", False),
    "assess": ("assess", "assess_command", False),
    "show": ("show", "show", False),
    "schedule": ("schedule", "schedule_command", False),
    "forecast": ("forecast", "forecast_command", False),
    "backtest": ("history", "backtest", False),
    "schema": ("schema", "schema", False),
    "apply": ("track", "apply", False),
    "log": ("track", "log", False),
    "diff": ("track", "diff", False),
    "progress": ("track", "progress", False),
    "budget": ("track", "budget", False),
    "baseline": ("track", "baseline_app", True),
    "evm": ("evm", "evm_command", False),
    "dora": ("dora", "dora_command", False),
    "scope": ("scope", "scope_command", False),
    "audit": ("audit", "audit_command", False),
    "risks": ("risks", "risks_command", False),
    "export": ("interchange", "export_command", False),
    "import": ("interchange", "import_command", False),
    "report": ("report", "report_command", False),
    "status": ("status", "status_command", False),
    "generate": ("generate", "generate", False),
    "sync": ("sync", "sync_command", False),
    "link": ("link", "link_command", False),
    "serve": ("serve", "serve_command", False),
    "release": ("release", "release_app", True),
    "user": ("users", "user_app", True),
    "token": ("users", "token_app", True),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ontrack {__version__}")
        raise typer.Exit()


def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """ontrack: a technical program manager in a box."""


def build_app(only: str | None = None) -> App:
    """The ``ontrack`` command with every subcommand, or with ``only`` that one."""
    built = App(
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
    built.callback()(_main)
    for name, (module, attribute, group) in _COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"ontrack.cli.{module}"), attribute)
        if group:
            built.add_typer(target, name=name)
        else:
            built.command(name)(target)
    return built


app: App  # bound on first use, by __getattr__ below


def __getattr__(name: str) -> Any:
    # ``from ontrack.cli.main import app`` (tests, embedding) gets every command, built once.
    if name == "app":
        global app  # noqa: PLW0603
        app = build_app()
        return app
    raise AttributeError(name)


def run() -> None:
    """Console entry point: no traceback ever reaches the user."""
    # The first argument names the command (options before it, --help, a typo: build all).
    first = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        build_app(first if first in _COMMANDS else None)()
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
