"""Chinese text made comparable, with the way back to the characters as written.

:func:`normalise` converts traditional characters to simplified (OpenCC's character table, shipped in
``opencc-python-reimplemented``: no download), folds full-width forms (NFKC, one character for one)
and drops the inline pinyin some pages carry after a character ("經(jīng)濟"). The result keeps,
for every character, its offset in the original text, so a name or a sentence found in the
normalised text is cut verbatim from the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HAN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # 〇 too: 第七〇二研究所
KANA = re.compile(r"[\u3040-\u30ff]")
# "(jīng)" after a character: Latin letters with at least one tone mark, in ASCII or full-width brackets
PINYIN_RESIDUE = re.compile(r"(?<=[\u4e00-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """OpenCC's traditional -> simplified character table (``TSCharacters.txt``, shipped in
    ``opencc-python-reimplemented``), read once: character by character, so every offset holds, and
    a few hundred kB where OpenCC's phrase converter takes about 90 MB."""
    import opencc

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and len(parts[0]) == 1:
                first = parts[1].split()[0] if parts[1].split() else ""
                if len(first) == 1 and first != parts[0]:
                    table[ord(parts[0])] = first
    return table


@lru_cache(maxsize=1)
def _s2t_tables() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """OpenCC's simplified -> traditional characters (the first of each entry's forms) and the
    Taiwan and Hong Kong variants of traditional characters (爲 -> 為)."""
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"
    tables: list[dict[int, str]] = []
    for name in ("STCharacters.txt", "TWVariants.txt", "HKVariants.txt"):
        table: dict[int, str] = {}
        with (folder / name).open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                forms = parts[1].split() if len(parts) == 2 else []
                if len(parts[0]) == 1 and forms and len(forms[0]) == 1 and forms[0] != parts[0]:
                    table[ord(parts[0])] = forms[0]
        tables.append(table)
    return tables[0], tables[1], tables[2]


def traditional_forms(word: str) -> set[str]:
    """How ``word`` (simplified) is written in traditional characters: OpenCC's usual form, and its
    Taiwan and Hong Kong variants (为 -> 爲, 為); empty when it is written the same."""
    st, tw, hk = _s2t_tables()
    usual = word.translate(st)
    return {usual, usual.translate(tw), usual.translate(hk)} - {word}


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional -> simplified, one character for one (OpenCC's character table)."""
    return text.translate(_t2s_table())


def is_chinese(language: str | None, text: str) -> bool:
    """Is this article Chinese? The extracted language says so (zh, zh-TW, zh-Hant ...), or, when it
    says nothing or something else, most of the letters are Han characters (and no kana: Japanese)."""
    lang = (language or "").casefold()
    if lang.startswith("zh") or lang in ("cmn", "yue", "wuu"):
        return True
    if lang == "ja":
        return False
    sample = text[:4000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 10 or KANA.search(sample):
        return False
    return len(HAN.findall(sample)) / letters > 0.5


LATIN = re.compile(r"[A-Za-z]")
NON_HAN_RUN = re.compile(r"[^\u4e00-\u9fff\u3400-\u4dbf\n。，、；：？！“”（）《》]{40,}")
ENGLISH_MIN_LETTERS = 40


def english_part(text: str) -> str | None:
    """The English written on a Chinese page (a bilingual notice, an English statement or
    paragraph quoted whole), with every other character blanked out so that offsets stay those of
    the page (line breaks kept); None when there is none. English here is a run without Han
    characters holding at least 40 Latin letters, whole paragraphs or sentences inside one."""
    out = [ch if ch in "\r\n" else " " for ch in text]
    found = False
    for m in NON_HAN_RUN.finditer(text):
        if len(LATIN.findall(m.group())) >= ENGLISH_MIN_LETTERS:
            out[m.start() : m.end()] = m.group()
            found = True
    return "".join(out) if found else None


@dataclass
class Normalised:
    """``text`` (simplified, folded) and ``origin[i]``: offset in the original of ``text[i]``."""

    original: str
    text: str
    origin: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalised span ``[start, end)``."""
        if start >= len(self.origin):
            return len(self.original), len(self.original)
        s = self.origin[start]
        e = self.origin[end - 1] + 1 if end > start else s
        return s, e

    def verbatim(self, start: int, end: int) -> str:
        s, e = self.span(start, end)
        return self.original[s:e]


def normalise(original: str) -> Normalised:
    """See the module docstring."""
    keep = [True] * len(original)
    for m in PINYIN_RESIDUE.finditer(original):
        for i in range(m.start(), m.end()):
            keep[i] = False
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(original):
        if not keep[i]:
            continue
        folded = unicodedata.normalize("NFKC", ch)
        chars.append(folded if len(folded) == 1 else ch)
        origin.append(i)
    text = to_simplified("".join(chars)) if chars else ""
    return Normalised(original, text, origin)
