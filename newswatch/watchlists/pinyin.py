"""Pinyin of a Chinese name, as a matching feature: 雷军 ~ "Lei Jun", 曾毓群 ~ "Zeng Yuqun".

The normalized key already transliterates Han characters one by one (``normality``), which reads
some characters as they are read in other words (曾 "ceng", 长 "zhang"); ``pypinyin`` reads words
(长江 "chang jiang") and, for a person, the surname as surnames are read (曾 "zeng", 单 "shan").
Keys compare with the syllables run together, so "Yuqun" and "Yu Qun" agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# surnames whose reading differs from the character's common one
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "乐": "yue",
    "覃": "qin",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "尉迟": "yuchi",
    "长孙": "zhangsun",
    "万俟": "moqi",
    "种": "chong",
    "召": "shao",
    "秘": "bi",
    "员": "yun",
    "繁": "po",
}


def has_han(text: str) -> bool:
    return bool(HAN.search(text))


@lru_cache(maxsize=65536)
def pinyin_key(name: str, person: bool = False) -> str:
    """Syllables of the Han characters of ``name`` run together ("" when it has none)."""
    from pypinyin import lazy_pinyin

    han = "".join(HAN.findall(name))
    if not han:
        return ""
    head = ""
    if person:
        for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
            if han.startswith(surname):
                head, han = SURNAME_READINGS[surname], han[len(surname) :]
                break
    return head + "".join(lazy_pinyin(han))


def compact(key: str) -> str:
    """A normalized Latin key with its words run together ("zeng yuqun" -> "zengyuqun")."""
    return key.replace(" ", "")
