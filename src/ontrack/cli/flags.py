"""Help that shows no value for a flag.

Typer 0.29 prints the type of every option in ``--help``, flags included, so ``--strict``,
``--progress`` and ``--help`` itself read ``<bool>`` as if they took a value. A flag takes none:
the command and group classes here blank its type column. :class:`App` is ``typer.Typer`` with
them as the default classes, so every command registered on it gets them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption


def _no_value_for_flags(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # shown instead of the type: nothing
    return params


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_value_for_flags(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_value_for_flags(super().get_params(ctx))


class App(typer.Typer):
    """``typer.Typer`` whose group and commands show flags without a value in their help."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(  # type: ignore[override]
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        kwargs.setdefault("cls", Command)
        return super().command(name, **kwargs)
