"""How common a word is in English, for the matcher's common-word rule.

The package ships the Zipf frequency (log10 of uses per billion words: "the" ~7.7, "focus" 5.0,
"xiaomi" ~3.0) of every English word rated ``FLOOR`` or more, generated from wordfreq's data by
``bench/common_words.py --write`` (which also checks it against wordfreq). A word not in the list
is rarer than ``FLOOR`` and rates 0, so thresholds (``matching.common_word_zipf``) start at
``FLOOR``.

Numbers are rated as wordfreq rates them: its frequency of the number's shape (digits as zeros,
shipped too, marked ``digits``) times an estimate for that very number (Benford's law, and a
curve over the years for four digits), ported from wordfreq's ``numbers.py`` (Apache 2.0).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from ..config import COMMON_WORDS_FLOOR

DATA = Path(__file__).resolve().parent / "data" / "common_words_en.txt"
FLOOR = COMMON_WORDS_FLOOR  # the rarest Zipf value the shipped list holds


# wordfreq's estimates for digit sequences (numbers.py)
DIGIT_FREQS = [0.009, 0.300, 0.175, 0.124, 0.096, 0.078, 0.066, 0.057, 0.050, 0.045]
YEAR_LOG_PEAK = -1.9185
NOT_YEAR_PROB = 0.1
REFERENCE_YEAR = 2019
PLATEAU_WIDTH = 20
DIGIT_RE = re.compile(r"\d")
MULTI_DIGIT_RE = re.compile(r"\d[\d.,]+")
PURE_DIGIT_RE = re.compile(r"\d+")


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], dict[str, float]]:
    """(word -> Zipf value, number shape -> Zipf value of the shape), read once from the shipped list."""
    words: dict[str, float] = {}
    shapes: dict[str, float] = {}
    with DATA.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            word, value, *kind = line.rstrip("\n").split("\t")
            (shapes if kind == ["digits"] else words)[word] = float(value)
    return words, shapes


def smash_numbers(text: str) -> str:
    """Digits of every multi-digit sequence as zeros ("2021" -> "0000"), as wordfreq stores them."""
    return MULTI_DIGIT_RE.sub(lambda m: DIGIT_RE.sub("0", m.group(0)), text)


def _benford(digits: str) -> float:
    return DIGIT_FREQS[int(digits[0])] / 10 ** (len(digits) - 1)


def _year(digits: str) -> float:
    year = int(digits)
    if year <= REFERENCE_YEAR:
        log_freq = YEAR_LOG_PEAK - 0.0083 * (REFERENCE_YEAR - year)
    elif year <= REFERENCE_YEAR + PLATEAU_WIDTH:
        log_freq = YEAR_LOG_PEAK
    else:
        log_freq = YEAR_LOG_PEAK - 0.2 * (year - (REFERENCE_YEAR + PLATEAU_WIDTH))
    return 10.0**log_freq + NOT_YEAR_PROB * _benford(digits)


def digit_freq(text: str) -> float:
    """How likely these very digits are among all sequences of their shape."""
    freq = 1.0
    for match in MULTI_DIGIT_RE.findall(text):
        for digits in PURE_DIGIT_RE.findall(match):
            freq *= _year(digits) if len(digits) == 4 else _benford(digits)
    return freq


@lru_cache(maxsize=100_000)
def zipf(word: str) -> float:
    """Zipf frequency of an English word, 0 when it is rarer than ``FLOOR`` (or unknown)."""
    word = word.strip().lower()
    words, shapes = _tables()
    smashed = smash_numbers(word)
    if smashed == word:
        return words.get(word, 0.0)
    if smashed not in shapes:
        return 0.0
    value = round(shapes[smashed] + math.log10(digit_freq(word)), 2)
    return value if value >= FLOOR else 0.0
