"""Long texts in windows: a 10-K's million characters are analysed piece by piece.

spaCy refuses texts over ``nlp.max_length`` (a million characters) and its memory grows with the
text, so a text longer than ``nlp.window_chars`` is cut into windows of about that size, each
ending at a paragraph break (else a sentence end, else a space) and each starting ``overlap``
characters before the previous one ended (at a paragraph or sentence start), so the
neighbourhood the tie rules read (the sentences around a trigger, the company "it" refers to)
is whole in at least one window. Pure: offsets in, offsets out.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)]?\s+")


def _cut_before(text: str, lo: int, hi: int) -> int:
    """The best place to end a window in ``text[lo:hi]``: after the last paragraph break, else
    the last sentence end, else the last space, else ``hi``."""
    para = text.rfind("\n", lo, hi)
    if para > lo:
        return para + 1
    ends = [m.end() for m in SENTENCE_END.finditer(text, lo, hi)]
    if ends:
        return ends[-1]
    space = text.rfind(" ", lo, hi)
    return space + 1 if space > lo else hi


def _start_after(text: str, lo: int, hi: int) -> int:
    """The first paragraph or sentence start in ``text[lo:hi]`` (``lo`` when there is none)."""
    para = text.find("\n", lo, hi)
    if para != -1:
        return para + 1
    m = SENTENCE_END.search(text, lo, hi)
    return m.end() if m else lo


def windows(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """``(start, end)`` character ranges covering ``text``; one range when it fits in ``size``.
    Consecutive windows share about ``overlap`` characters (``overlap`` < ``size`` / 2)."""
    if len(text) <= size:
        return [(0, len(text))]
    overlap = min(overlap, size // 3)
    out: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        hi = min(len(text), start + size)
        end = hi if hi == len(text) else _cut_before(text, start + size // 2, hi)
        out.append((start, end))
        if end >= len(text):
            break
        nxt = _start_after(text, max(start + 1, end - overlap), end)
        start = nxt if nxt > start else end
    return out
