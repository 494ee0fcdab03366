"""User text made safe to show: control characters and invisible ones made visible, and
huge values clipped.

Plan files are input from anyone who can open a pull request, so a title or an id can hold a
terminal escape sequence (``ESC ]0;...BEL`` retitles the window, ``ESC [2J`` clears it), a
bidi override that makes ``evil`` read as ``live``, or a megabyte of text. Everything that
shows user text to a person (the console, diagnostics, spreadsheets) goes through here, so the
rules live in one place. Nothing here changes what the engines compute or what JSON carries.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Quoted values longer than this are clipped in messages ...
QUOTE_LIMIT = 80
#: ... where a run without spaces is longer than this (so long paths stay whole).
CLIP_AT = 160
#: A whole message longer than this keeps its first MESSAGE_KEEP characters.
MESSAGE_LIMIT = 4000
MESSAGE_KEEP = 2000

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# Format characters that draw nothing, or reorder what follows: zero-width space, joiners and
# marks, line and paragraph separators, bidi embeddings, overrides and isolates, word joiner
# and invisible operators, BOM, interlinear annotations, noncharacters and lone surrogates.
_INVISIBLE = (
    "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff"
)
# On the terminal the joiners stay: emoji sequences and Persian or Indic text need them.
_INVISIBLE_SHOWN = _INVISIBLE.replace("\u200b-\u200f", "\u200b\u200e\u200f")

# Every C0 control but newline and tab, a CR not ending a line, DEL and the C1 controls.
_TERMINAL_RE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE_SHOWN}]|\r(?!\n)")
_MESSAGE_RE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_LONG_RUN_RE = re.compile(rf"[^\s'\"]{{{CLIP_AT + 1},}}")
_JSON_RE = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")


def _show(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """``text`` for a terminal: every control character but newline and tab (and the CR of a
    CRLF) written as ``\\x1b``, and bidi overrides and other invisible characters as
    ``<U+202E>``, so no escape sequence reaches the terminal and nothing is hidden or reordered.
    Every other character, emoji and right-to-left text included, is kept."""
    return _TERMINAL_RE.sub(_show, text)


def visible_all(text: str) -> str:
    """As :func:`visible`, for one-line text (a message, a quoted value): newlines, tabs and
    the zero-width joiners are shown too."""
    return _MESSAGE_RE.sub(_show, text)


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """At most ``limit`` characters of ``text``, and where it is longer its length:
    ``xxxx… (1,000,000 characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A user value quoted into a message: ``'api'``, clipped and with invisible characters
    shown."""
    return f"'{visible_all(clip(str(value), limit))}'"


def tidy_message(text: str) -> str:
    """A diagnostic's message or hint, safe to print whatever user text was put into it: control
    and invisible characters are shown, each run of more than CLIP_AT characters without a space
    or a quote (a megabyte id) is clipped to QUOTE_LIMIT with its length, and the whole message
    to MESSAGE_KEEP characters when longer than MESSAGE_LIMIT. Lengths count the characters as
    shown. Applying it twice changes nothing more."""
    if len(text) <= CLIP_AT and text.isascii() and text.isprintable():
        return text  # the common case, checked cheaply
    text = _LONG_RUN_RE.sub(lambda m: _clip_shown(m.group(), QUOTE_LIMIT), visible_all(text))
    if len(text) > MESSAGE_LIMIT:
        text = _clip_shown(text, MESSAGE_KEEP)
    return text


# The start of a shown character (``\x1``, ``<U+20``) that clipping would cut in two.
_PARTIAL_RE = re.compile(r"(\\(x[0-9a-f]?)?|<(U(\+[0-9A-F]{0,5})?)?)$")


def _clip_shown(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{_PARTIAL_RE.sub('', text[:limit])}… ({len(text):,} characters)"


def _escape_json(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(data: Any, **options: Any) -> str:
    """``json.dumps(data, ensure_ascii=False)`` with DEL, the C1 controls, invisible characters
    and lone surrogates written as ``\\u`` escapes: the same JSON value, safe on a terminal (the
    C0 controls are always escaped by ``json``). They can only occur inside strings, where an
    escape means the same character."""
    return _JSON_RE.sub(_escape_json, json.dumps(data, ensure_ascii=False, **options))
