"""What the store's columns can hold, checked before anything is written.

PostgreSQL refuses a name longer than its column, a NUL in any text, and a number its column
cannot hold, with an internal error halfway through a command; SQLite takes all of them (and
keeps a number as a double, so it reads back rounded). Checking every row against the declared
columns first makes both stores accept and refuse the same inputs, with a coded error (E514)
and nothing written:

* ``String(n)`` (names, ids, paths): at most ``n`` characters, no control characters;
* ``Text`` (messages, notes): no NUL or other control character but tab and line breaks
  (``content``, a plan file's text, only no NUL: the plan loader has read it already);
* every text: valid Unicode (no lone surrogates, which neither database can encode);
* ``Numeric(p, s)``: finite, rounded to ``s`` places, and below ``10**(min(p, 15) - s)`` so a
  double keeps it exactly (SQLite);
* ``Integer``: fits 32 bits (PostgreSQL's integer);
* ``JSON``: its texts are valid Unicode without NUL.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, Integer, Numeric, String, Text
from sqlalchemy.sql.elements import KeyedColumnElement

from ontrack.store import StoreError
from ontrack.store.tables import Base

CODE = "E514"
#: Significant digits a double (SQLite's REAL) keeps exactly.
EXACT_DIGITS = 15
_INT_RANGE = (-(2**31), 2**31 - 1)
_LINE_BREAKS = frozenset("\t\n\r")
#: Text columns that hold a file's text (checked by its own reader): only NUL is refused.
_FILE_TEXT = frozenset({"content"})


def numeric_limit(column_type: Numeric[Any]) -> Decimal:
    """The exclusive upper bound of a Numeric column's magnitude, exact on both stores."""
    precision = column_type.precision or EXACT_DIGITS
    scale = column_type.scale or 0
    return Decimal(10) ** (min(precision, EXACT_DIGITS) - scale)


def column_limit(table: str, column: str) -> Decimal:
    """The exclusive bound of a Numeric column, by table and column name."""
    kind = Base.metadata.tables[table].columns[column].type
    assert isinstance(kind, Numeric)
    return numeric_limit(kind)


def text_length(table: str, column: str) -> int:
    """The most characters a String column holds."""
    kind = Base.metadata.tables[table].columns[column].type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


def text_problem(value: str, *, single_line: bool, file_text: bool = False) -> str | None:
    """Why ``value`` cannot be stored (None: it can)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it holds a lone surrogate)"
    if "\x00" in value:
        return "contains a NUL character"
    if file_text:
        return None
    for ch in value:
        if unicodedata.category(ch) == "Cc" and (single_line or ch not in _LINE_BREAKS):
            return f"contains the control character U+{ord(ch):04X}"
    return None


def fit(row: Base, what: str, *, labels: Mapping[str, str] | None = None) -> None:
    """Check every column of ``row`` (rounding its decimals to their column's places) or raise
    StoreError E514 naming ``what`` (e.g. "progress of 'api' on 2026-03-13") and the column."""
    for column in row.__table__.columns:
        key = column.key
        value = getattr(row, key, None)
        if value is None:
            continue
        problem, fitted = _check(column, value)
        if problem is not None:
            raise StoreError(
                CODE,
                f"{what}: the {(labels or {}).get(key, key)} {problem}",
                "nothing was recorded; correct the value and run the command again",
            )
        if fitted is not value:
            setattr(row, key, fitted)


def _check(column: KeyedColumnElement[Any], value: Any) -> tuple[str | None, Any]:
    kind = column.type
    if isinstance(kind, String):  # Text is a String without a length
        if not isinstance(value, str):
            return "is not text", value
        single = not isinstance(kind, Text) and kind.length is not None
        problem = text_problem(value, single_line=single, file_text=column.key in _FILE_TEXT)
        if problem is None and kind.length is not None and len(value) > kind.length:
            problem = f"is {len(value)} characters long; the store keeps at most {kind.length}"
        return problem, value
    if isinstance(kind, Numeric):
        return _decimal(kind, value)
    if isinstance(kind, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            return "is not a whole number", value
        low, high = _INT_RANGE
        return (None if low <= value <= high else f"{value} is out of range"), value
    if isinstance(kind, JSON):
        return _json(value), value
    return None, value


def _decimal(kind: Numeric[Any], value: Any) -> tuple[str | None, Any]:
    try:
        number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    except (InvalidOperation, TypeError, ValueError):
        return "is not a number", value
    if not number.is_finite():
        return f"{value} is not a finite number", value
    scale = kind.scale or 0
    try:
        rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        rounded = None
    limit = numeric_limit(kind)
    if rounded is None or abs(rounded) >= limit:
        return f"{value} is too large (the store holds less than {limit:,})", value
    return None, rounded


def _json(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value, single_line=False, file_text=True)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _json(key) or _json(item)
            if problem is not None:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = _json(item)
            if problem is not None:
                return problem
    return None
