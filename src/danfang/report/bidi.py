"""Bidirectional-text controls shown, never obeyed.

A user string (a job name, a layer name, a message quoting the user's code) holding U+202E
RIGHT-TO-LEFT OVERRIDE, or any other embedding, override or isolate control (U+202A-U+202E,
U+2066-U+2069) would make a browser draw the text after it reversed, so a report could read
differently from what it holds ("Trojan Source"). :func:`show_bidi` replaces each one with a
visible escape such as ``[U+202E]``; :func:`~danfang.report.html.write_report` applies it to
every page it writes, so no piece of text can slip past.
"""

from __future__ import annotations

#: the embedding, override and isolate controls (Unicode bidi "explicit formatting" characters)
BIDI_CONTROLS = tuple(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_TABLE = {ord(c): f"[U+{ord(c):04X}]" for c in BIDI_CONTROLS}


def show_bidi(text: str) -> str:
    """``text`` with every bidi control replaced by its visible code point, e.g. ``[U+202E]``."""
    return text.translate(_TABLE)
