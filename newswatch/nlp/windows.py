"""Long texts in windows: a 10-K's million characters are analysed piece by piece.

spaCy refuses texts over ``nlp.max_length`` (a million characters) and its memory grows with the
text, so a text longer than ``nlp.window_chars`` is cut into windows of about that size, each
ending at a paragraph break (else a sentence end, else a space) and each starting ``overlap``
characters before the previous one ended (at a paragraph or sentence start), so the
neighbourhood the tie rules read (the sentences around a trigger, the company "it" refers to)
is whole in at least one window. Pure: offsets in, offsets out.

Chinese text (``nlp/zh``) ends its sentences with 。!? and no space after them: it passes
:data:`CJK_SENTENCE_END`.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)]?\s+")
# Chinese: 。!? (full-width or, after NFKC, ASCII), closing quotes kept, no space needed after them
CJK_SENTENCE_END = re.compile(r"[。！？!?;；][”’」』)\"']*")


def _cut_before(text: str, lo: int, hi: int, ends: re.Pattern[str] = SENTENCE_END) -> int:
    """The best place to end a window in ``text[lo:hi]``: after the last paragraph break, else
    the last sentence end, else the last space, else ``hi``."""
    para = text.rfind("\n", lo, hi)
    if para > lo:
        return para + 1
    last = [m.end() for m in ends.finditer(text, lo, hi)]
    if last:
        return last[-1]
    space = text.rfind(" ", lo, hi)
    return space + 1 if space > lo else hi


def _start_after(text: str, lo: int, hi: int, ends: re.Pattern[str] = SENTENCE_END) -> int:
    """The first paragraph or sentence start in ``text[lo:hi]`` (``lo`` when there is none)."""
    para = text.find("\n", lo, hi)
    if para != -1:
        return para + 1
    m = ends.search(text, lo, hi)
    return m.end() if m else lo


def windows(text: str, size: int, overlap: int, sentence_end: re.Pattern[str] = SENTENCE_END) -> list[tuple[int, int]]:
    """``(start, end)`` character ranges covering ``text``; one range when it fits in ``size``.
    Consecutive windows share about ``overlap`` characters (``overlap`` < ``size`` / 2);
    ``sentence_end``: where a sentence ends when no paragraph break is near (:data:`CJK_SENTENCE_END`
    for Chinese)."""
    if len(text) <= size:
        return [(0, len(text))]
    overlap = min(overlap, size // 3)
    out: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        hi = min(len(text), start + size)
        end = hi if hi == len(text) else _cut_before(text, start + size // 2, hi, sentence_end)
        out.append((start, end))
        if end >= len(text):
            break
        nxt = _start_after(text, max(start + 1, end - overlap), end, sentence_end)
        start = nxt if nxt > start else end
    return out
