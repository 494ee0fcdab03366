"""User text made safe to show: controls and invisible characters visible, huge values clipped."""

from __future__ import annotations

import json

from ontrack.safetext import clip, json_text, quote, tidy_message, visible, visible_all


def test_visible_shows_controls_and_keeps_lines_tabs_and_letters() -> None:
    assert visible("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07"
    assert visible("a\x00b\x7fc\x9bd") == "a\\x00b\\x7fc\\x9bd"
    assert visible("one\ntwo\tthree\r\n") == "one\ntwo\tthree\r\n"
    assert visible("over\rwrite") == "over\\rwrite"  # a lone CR would overwrite the line
    assert visible("ev\u202eil \u2066x\u2069 \ufeff\u200b") == (
        "ev<U+202E>il <U+2066>x<U+2069> <U+FEFF><U+200B>"
    )
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert visible(f"Ünïcödé 日本 שלום {family}") == f"Ünïcödé 日本 שלום {family}"


def test_visible_all_shows_line_breaks_and_joiners_too() -> None:
    assert visible_all("a\nb\tc\u200dd") == "a\\nb\\tc<U+200D>d"


def test_clip_and_quote() -> None:
    assert clip("short") == "short"
    assert clip("x" * 1000, 10) == "xxxxxxxxxx… (1,000 characters)"
    assert quote("ev\u202eil") == "'ev<U+202E>il'"
    assert len(quote("y" * 10**6)) < 120


def test_tidy_message_clips_long_runs_and_is_idempotent() -> None:
    message = f"task 'a': depends[0].task: '{'x' * 10**6}' is not a valid id"
    tidy = tidy_message(message)
    assert tidy == (
        f"task 'a': depends[0].task: '{'x' * 80}… (1,000,000 characters)' is not a valid id"
    )
    assert tidy_message(tidy) == tidy
    path = "/home/someone/" + "a" * 120 + "/plan.yaml"  # long paths (to 160) stay whole
    assert tidy_message(f"cannot read {path}") == f"cannot read {path}"
    spaced = tidy_message("word " * 10**5)  # long without long runs: the whole is clipped
    assert len(spaced) < 2100 and spaced.endswith("(500,000 characters)")
    assert tidy_message("id 'a\nb\x1b'") == "id 'a\\nb\\x1b'"
    assert tidy_message(tidy_message("x\u202e" * 500)) == tidy_message("x\u202e" * 500)


def test_json_text_escapes_but_means_the_same() -> None:
    data = {"t": "a\x1b\x9b\x7f\u202e\ud800b", "n": -1}
    text = json_text(data)
    assert text.isascii() or all(c.isprintable() for c in text)
    assert "\x9b" not in text and "\u202e" not in text and "\x7f" not in text
    assert json.loads(text) == data
    assert json_text({"t": "日本"}) == '{"t": "日本"}'
