"""Named things in a Chinese article: organisations, people, lists and honours.

Rules over the normalised text (:mod:`.text`), no statistical model:

- **lists and honours**: the lexicon's aliases (longest first); a list keyword followed by a list
  noun ("「未经核实」的出口管制清单"); a quoted title followed by an award noun (“全国工人先锋号”荣誉
  称号); a bare list noun (清单, 名单) as a list whose name comes from the context;
- **organisations by their shape**: a name ending in an organisation suffix (…有限公司, …集团, …研究所,
  …大学, …局), reaching left over name characters until a delimiter or a function word (将, 包括,
  的 …) and ending where a name can end (a delimiter, a function word, a role);
- **people by their role**: the name right after a role word (董事长雷军, 所长李家彪, the roles in
  ``lexicon_zh.yaml``), the organisation written before the role being their employer
  (重庆力帆控股有限公司董事长尹明善); a name before a bracketed role (雷军（小米集团创始人）); jieba's
  person tag decides where a name ends when nothing else does;
- **watchlist aliases** written in Chinese (小米, 华为);
- **enumerations**: the other items of "A、B、C等8个企业" are organisations like the one recognised.

:meth:`ChineseNlp.__call__` returns a :class:`ZhAnnotated`: the entities on the normalised text and
a spaCy ``Doc`` over the ORIGINAL text (one token per character, sentences set, entities ORG,
PERSON, LIST, AWARD), which the resolve stage reads as it reads the English one.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ...models import WatchName
from ..windows import CJK_SENTENCE_END, windows
from .lexicon import ZhLexicon
from .text import HAN, Normalised, normalise, to_simplified

log = logging.getLogger(__name__)

SENTENCE_END = "。!?\n"
CLAUSE_END = ";"
# characters that end a name (after NFKC: full-width punctuation is ASCII here)
DELIMITERS = set(",、;:!?。\n\t \"'“”‘’「」『』《》【】[]<>|/\\…—–~")
NAME_JOINERS = set("·•‧-")
# words that end a name on its right, or stop an organisation name growing to the left
FUNCTION_WORDS = [
    "等人",
    "等",
    "在内",
    "和",
    "与",
    "及",
    "及其",
    "以及",
    "同",
    "跟",
    "的",
    "在",
    "于",
    "对于",
    "对",
    "向",
    "为",
    "被",
    "将",
    "把",
    "是",
    "也",
    "都",
    "已",
    "曾",
    "还",
    "又",
    "并",
    "而",
    "则",
    "就",
    "从",
    "由",
    "给",
    "让",
    "使",
    "包括",
    "包含",
    "其中",
    "再次",
    "同时",
    "随后",
    "此前",
    "此外",
    "另外",
    "表示",
    "说",
    "称",
    "指出",
    "认为",
    "宣布",
    "决定",
    "强调",
    "介绍",
    "同志",
    "先生",
    "女士",
    "今天",
    "日前",
    "近日",
    "作为",
    "以",
    "因",
    "据",
    "经",
    "其",
    "这",
    "该",
    "此",
    "各",
    "即",
    "如",
    "有",
    "共",
    "均",
    "分别",
    "通过",
    "出席",
    "参加",
    "率领",
    "带领",
    "代表",
    "获",
    "来自",
    "认定",
    "了",
    "成为",
    "凭借",
    "一起",
    "共同",
    "联合",
    "实施",
    "采取",
    "进行",
    "予以",
    "施加",
]
# what a report calls a company before naming it: "芯片制造商中芯国际", "国防承包商洛克希德·马丁公司"
DESCRIPTORS = (
    # people described before their name: "俄罗斯商人|阿尔卡季·罗滕贝格"
    "商人",
    "富商",
    "富豪",
    "寡头",
    "官员",
    "公民",
    "高管",
    "男子",
    "女子",
    "制造商",
    "供应商",
    "承包商",
    "运营商",
    "设备商",
    "服务商",
    "开发商",
    "生产商",
    "厂商",
    "提供商",
    "经销商",
    "零售商",
    "巨头",
    "龙头",
    "子公司",
    "分公司",
    "母公司",
)
WEAK_DESCRIPTORS = (
    "军工企业",
    "防务企业",
    "国防企业",
    "科技企业",
    "科技公司",
    "芯片企业",
    "民营企业",
    "国有企业",
    "央企",
)
NAME_HEDGES = ("希望", "有望", "可能", "计划", "准备", "评估", "一旦", "是否")
CONJUNCTIONS = ("以及", "和", "与", "及", "同", "跟")
ORG_CLASSIFIER = re.compile(
    r"^等\s*[0-9一二三四五六七八九十百千两几多]*\s*[个家间所]?(?:中国|中方|美国)?"
    r"(?:企业|公司|实体|机构|单位|集体|组织|厂商|科技公司|高校)"
)
PROPER_TAGS = (
    "nt",
    "nz",
    "ns",
    "nr",
    "eng",
    "j",
)  # jieba: organisation, other proper, place, person, Latin, abbreviation
NOT_NAME_TAGS = ("v", "d", "p", "r", "c", "u", "m", "t", "f", "q")
ANAPHORS = (
    "其",
    "这些",
    "以下",
    "下列",
    "如下",
    "这家",
    "那些",
    "上述",
    "以上",
    "它们",
    "他们",
    "她们",
    "该",
    "此",
    "这",
)
SLOT_LEADS = sorted(
    [
        "包括",
        "包含",
        "其中",
        "以及",
        "和",
        "与",
        "及",
        "将",
        "把",
        "向",
        "为",
        "给",
        "对",
        "决定",
        "授予",
        "给予",
        "被",
        "共同",
        "分别",
        "分别是",
        "分别为",
        "他们是",
        "她们是",
        "它们是",
        "即",
    ],
    key=len,
    reverse=True,
)
# suffixes that end a name whatever follows (a verb: "…股份有限公司实施"); a short one like 科技 or
# 技术 needs a function word or a delimiter after it ("科技霸权" is no company)
STRONG_SUFFIXES = {"集团", "公司", "大学", "学院", "银行", "医院", "协会", "学会", "总会"}
# one-character words that stop a name whatever jieba made of them (宣布|对|海岳通信集团)
STRONG_STOPS = ("将", "把", "对", "向", "被", "遭", "由", "给", "等", "和", "与", "及", "从")
WINDOW_CHARS = 20_000  # a longer text is annotated in windows of about this size (see _annotate_windows)
WINDOW_OVERLAP = 2_000
MAX_SPAN = 60  # no entity is longer (organisation names grow at most 40 characters left of a suffix)
FOREIGN_NAME = re.compile(r"[\u4e00-\u9fff]+(?:[·•‧\-][\u4e00-\u9fff]+)+")
CLASSIFIERS = set("个家间所名位款项批")
NUMERALS = set("0123456789一二三四五六七八九十百千万两几多〇")
LEADING_QUALIFIER = re.compile(r"^(?:[0-9]{4}年度?|第[0-9一二三四五六七八九十]+届)")
# a list line: a name (a two-character one may be spaced out to align: "王 伟"), maybe "(女)", then
# the employer and role: "张明远  青禾智能科技有限公司董事长"
LIST_LINE = re.compile(
    r"(?m)^[\s0-9.、)(一二三四五六七八九十]*([\u4e00-\u9fff] [\u4e00-\u9fff]|[\u4e00-\u9fff·]{2,8})"
    r"(?:\([^()\n]{1,4}\))?[ \t\u3000]+([^\s,;。]{2,40})$"
)
# a target slot's items: runs of name characters, a Latin name's words and "Co., Ltd." kept together
SLOT_ITEM = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9&.'\-]*(?:,?\s+(?=[A-Za-z0-9&]))?|[^,、;:!?。\n“”\"「」()\s])+")
# a name in Latin letters: words starting with a capital or a digit (and the small words inside names)
LATIN_NAME = re.compile(
    r"(?:[A-Z][A-Za-z0-9&.'\-]*|[0-9]+[A-Za-z][A-Za-z0-9&.'\-]*)"
    r"(?:,?[ \t\u3000]+(?:[A-Z0-9][A-Za-z0-9&.'\-]*|of|and|de|la|the|for|&))*"
)
# legal forms that end a company name in Latin letters
LATIN_LEGAL = {
    "co", "ltd", "limited", "inc", "corp", "corporation", "llc", "plc", "group", "holdings", "technologies",
    "technology", "gmbh", "ag", "sa", "jsc", "pjsc", "bank", "company", "lab", "labs", "systems", "robotics",
}  # fmt: skip
# what an item of a listing's enumeration may be without naming anyone ("其他企业", "个人")
COMMON_NOT_NAMES = re.compile(r"(?:企业|公司|机构|实体|个人|人员|单位|组织|部门|政府|国家|地区|其他|其它|等)$")
NUMBERED_UNIT = re.compile(r"第[〇零一二三四五六七八九十百0-9]{1,6}(?:研究所|研究院|所|厂|分院)")
SPACED_NAME = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff](?![\u4e00-\u9fff ])")
PEOPLE_TAIL = re.compile(r"等\s*[0-9一二三四五六七八九十百两几多]+\s*[名位](?!单)")
ORG_TAIL = re.compile(r"等[^,、;:。!?]{0,8}?(?:企业|公司|实体|机构|单位|高校|厂商)")
ORG_HEAD = re.compile(r"(?:企业|公司|实体|机构|单位)(?:分别是|分别为|包括|为|有|是)\s*:?\s*$")
DESIGNATED_AS = re.compile(r"(?:列为|认定为|指定为|定性为|视为|列入)(?:所谓的?)?[“\"「『']?$")
COUNTED = re.compile(r"(?:^|[和与及、])(?:[0-9]+|[一二三四五六七八九十两几多]+)[个家名位间所批]")
QUALIFIER_BEFORE = re.compile(r"(?:[0-9]{4}年度?|第[0-9一二三四五六七八九十]+届)$")


class Segmented(str):
    """The normalised text, knowing where jieba puts word boundaries: a one-character function word
    (据, 以, 若 …) only counts where it is a word of its own, not inside 数据 or 李若兰."""

    bounds: frozenset[int]

    def __new__(cls, text: str, bounds: Iterable[int]) -> Segmented:
        obj = super().__new__(cls, text)
        obj.bounds = frozenset(bounds)
        return obj


def left_of(p: int, word: str) -> int:
    return p - len(word)


# the comma inside a Latin company name ("Co., Ltd.", "Acme, Inc."): a legal form follows it
LATIN_LEGAL_COMMA = re.compile(r",\s*(?=(?:Ltd|Inc|LLC|L\.L\.C|Limited|Corp|Co|S\.A|GmbH|AG|PLC|JSC)\b)")


def latin_name_end(t: str, m: re.Match[str]) -> int:
    """Where a Latin name matched by LATIN_NAME ends: at its first comma that no legal form follows
    ("Acme Co., Ltd., Room 1201, Building 3, ..." ends after "Ltd."): what follows is an address."""
    i = m.start()
    while True:
        comma = t.find(",", i, m.end())
        if comma < 0:
            return m.end()
        if not LATIN_LEGAL_COMMA.match(t, comma):
            return comma
        i = comma + 1


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def is_word(t: str, start: int, end: int) -> bool:
    """Is ``t[start:end]`` a word here (always, for two characters or more)?"""
    if end - start >= 2 or not isinstance(t, Segmented):
        return True
    return start in t.bounds and end in t.bounds


def occupancy(ents: Iterable[ZhEnt], n: int) -> bytearray:
    """One byte per character: 1 where one of ``ents`` covers it."""
    occ = bytearray(n)
    for e in ents:
        occ[e.start : e.end] = b"\x01" * (e.end - e.start)
    return occ


def at_boundary(t: str, p: int) -> bool:
    """Does jieba put a word boundary at ``p``?"""
    return p in t.bounds if isinstance(t, Segmented) else True


@dataclass
class ZhEnt:
    """A named span of the NORMALISED text (see :class:`.text.Normalised` for the way back)."""

    start: int
    end: int
    label: str  # ORG | PERSON | LIST | AWARD
    text: str
    reason: str | None = None  # LIST / AWARD: canonical reason (None: a bare list noun)
    roles: list[str] = field(default_factory=list)  # PERSON: role words before the name
    leader: bool = False  # PERSON: a role that leads the employer
    employer: ZhEnt | None = None  # PERSON: the organisation written before the role
    how: str = ""  # shape | role | watchlist | enumeration | employer | bracket | alias | keyword | quoted | noun
    entity_id: str | None = None

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


@dataclass
class ZhAnnotated:
    """One Chinese article annotated: normalised text, sentences and entities on it, and the Doc."""

    norm: Normalised
    sentences: list[tuple[int, int]]
    ents: list[ZhEnt]
    doc: Doc
    _starts: list[int] = field(default_factory=list, repr=False)
    _index_len: int = field(default=-1, repr=False)
    _sentence_starts: list[int] = field(default_factory=list, repr=False)

    def in_range(self, start: int, end: int, labels: Iterable[str] = ("ORG", "PERSON")) -> list[ZhEnt]:
        """Entities inside ``[start, end)`` with one of ``labels``, in text order."""
        want = set(labels)
        return [e for e in self.near(start, end) if e.label in want and e.start >= start and e.end <= end]

    def near(self, start: int, end: int) -> list[ZhEnt]:
        """Entities overlapping ``[start, end)`` (through a start-sorted index; names longer than
        ``MAX_SPAN`` characters are none)."""
        if self._index_len != len(self.ents):
            self.ents.sort(key=lambda e: (e.start, -e.end))
            self._starts = [e.start for e in self.ents]
            self._index_len = len(self.ents)
        lo = bisect.bisect_left(self._starts, start - MAX_SPAN)
        hi = bisect.bisect_left(self._starts, end)
        return [e for e in self.ents[lo:hi] if e.end > start]

    def sentence_at(self, pos: int) -> int:
        """The number of the sentence holding ``pos`` (the last one starting at or before it)."""
        if len(self._sentence_starts) != len(self.sentences):
            self._sentence_starts = [s for s, _ in self.sentences]
        return bisect.bisect_right(self._sentence_starts, pos) - 1

    def add(self, ents: list[ZhEnt]) -> None:
        """More entities (a target slot read item by item), kept in the index's order: one insert
        each, not a sort of the article's entities (a long text has tens of thousands)."""
        if self._index_len != len(self.ents):
            self.ents += ents
            return
        for e in ents:
            i = bisect.bisect_right(self._starts, e.start)
            while i > 0 and self._starts[i - 1] == e.start and self.ents[i - 1].end < e.end:
                i -= 1
            self.ents.insert(i, e)
            self._starts.insert(i, e.start)
        self._index_len = len(self.ents)


def _longest_first(words: Iterable[str]) -> list[str]:
    return sorted({w for w in words if w}, key=len, reverse=True)


class ChineseNlp:
    """The Chinese annotator of one process: lexicon words compiled once; jieba loaded on first need."""

    def __init__(self, lexicon: ZhLexicon, watch_names: Sequence[WatchName] = ()) -> None:
        self.lexicon = lexicon = lexicon.simplified_only()  # the text is read in simplified characters
        self.vocab = Vocab()
        self.suffixes = _longest_first(lexicon.org_suffixes)
        self.generic = {to_simplified(w) for w in lexicon.org_generic}
        self.leader_roles = set(lexicon.leader_roles)
        self.roles = _longest_first([*lexicon.leader_roles, *lexicon.other_roles])
        self.role_tails = {r[-1] for r in self.roles}
        t = lexicon.triggers
        self.triggers = _longest_first([*t.blacklist, *t.sanction, *t.delisting, *t.award_subject, *t.award_object])
        # hedge verbs end a name too ("议员|敦促|商务部"), not those that names hold (新希望集团, 有望)
        hedge_stops = [h for h in lexicon.hedges if len(h) >= 2 and h not in NAME_HEDGES]
        self.stops = _longest_first([*FUNCTION_WORDS, *self.roles, *self.triggers, *DESCRIPTORS, *hedge_stops])
        self.right_bounds = _longest_first([*FUNCTION_WORDS, *self.roles, *self.triggers, *lexicon.hedges])
        self.list_aliases = sorted(
            ((to_simplified(a), n.reason) for n in lexicon.lists for a in [*n.aliases]),
            key=lambda x: -len(x[0]),
        )
        self.list_keywords = sorted(
            ((to_simplified(k), n.reason) for n in lexicon.lists for k in n.keywords), key=lambda x: -len(x[0])
        )
        self.award_aliases = sorted(
            ((to_simplified(a), n.reason) for n in lexicon.awards for a in n.aliases), key=lambda x: -len(x[0])
        )
        self.award_nouns = _longest_first(lexicon.award_nouns)
        self.watch: list[tuple[str, str, str]] = sorted(
            ((to_simplified(w.text), w.label, w.entity_id) for w in watch_names if HAN.search(w.text)),
            key=lambda x: -len(x[0]),
        )
        self.surnames = set(lexicon.surnames.split()) | set("".join(w for w in lexicon.surnames.split() if len(w) == 1))
        self._jieba: Any = None
        # Latin words that name no one in a slot: lists, issuers, roles ("SDN", "BIS", "CEO")
        words = [
            *lexicon.leader_roles,
            *lexicon.other_roles,
            *(a for n in lexicon.lists for a in (*n.aliases, *n.keywords)),
        ]
        words += [a for v in lexicon.issuers.values() for a in v]
        self.latin_stop = {w.upper() for w in words if w.isascii()} | {"AI", "IT", "US", "USA", "UN", "EU", "UK"}
        self._index: dict[tuple[int, bool], tuple[Sequence[str], dict[str, list[str]]]] = {}

    # -- helpers ----------------------------------------------------------------------------

    def _indexed(self, words: Sequence[str], last: bool) -> dict[str, list[str]]:
        """``words`` by their last (or first) character, longest first: a lookup reads the few words
        that can match at a position, not the whole list."""
        key = (id(words), last)
        hit = self._index.get(key)
        if hit is None or hit[0] is not words:
            by: dict[str, list[str]] = {}
            for w in sorted(words, key=len, reverse=True):
                if w:
                    by.setdefault(w[-1] if last else w[0], []).append(w)
            hit = self._index[key] = (words, by)
        return hit[1]

    def _word_ending_at(self, t: str, p: int, words: Sequence[str]) -> str | None:
        if p <= 0:
            return None
        for w in self._indexed(words, True).get(t[p - 1], ()):
            if p - len(w) >= 0 and t.startswith(w, p - len(w)) and is_word(t, p - len(w), p):
                return w
        return None

    def _word_at(self, t: str, p: int, words: Sequence[str]) -> str | None:
        if p >= len(t):
            return None
        for w in self._indexed(words, False).get(t[p], ()):
            if t.startswith(w, p) and is_word(t, p, p + len(w)):
                return w
        return None

    def _right_bound(self, t: str, p: int) -> bool:
        """Can a name end right before ``t[p]``?"""
        if p >= len(t):
            return True
        ch = t[p]
        if not (HAN.match(ch) or ch.isalnum()):
            return True
        if ch.isdigit() or (ch in NUMERALS and p + 1 < len(t) and t[p + 1] in CLASSIFIERS):
            return True  # 迪布朗|两名外国专家
        return self._word_at(t, p, self.right_bounds) is not None or self._word_at(t, p, self.suffixes) is not None

    def _grow_left(self, t: str, end: int, taken: list[ZhEnt], limit: int = 40) -> int:
        """Leftmost start of a name ending at ``end``: over name characters, not over a function
        word, a delimiter, digits or another entity; over a conjunction only when what stands left
        of it is not a name of its own ("福建省海洋与渔业厅" is one name, "华为与中兴" two)."""
        p = end
        floor = max(0, end - limit)
        ends = {e.end for e in taken if floor <= e.end <= end}
        while p > floor:
            ch = t[p - 1]
            if ch == ")":
                # a short bracketed part inside a name: 中国通用技术(集团)控股有限公司
                op = t.rfind("(", max(0, p - 8), p - 1)
                inner = t[op + 1 : p - 1] if op >= 0 else ""
                if op > 0 and inner and all(HAN.match(c) for c in inner) and HAN.match(t[op - 1]):
                    p = op
                    continue
                break
            if ch == " " and p >= 2 and _latin(t[p - 2]) and p < end and _latin(t[p]):
                p -= 1  # "Shield AI公司": a Latin name's words
                continue
            if HAN.match(ch) and p < end and _latin(t[p]):
                break  # "无人机企业|Skydio公司": the Latin name is the name
            if ch in CLASSIFIERS and p >= 2 and t[p - 2] in NUMERALS:
                break  # "…有限公司|两家公司": a count, not a name's part
            if ch in DELIMITERS or ch.isdigit() or not (HAN.match(ch) or ch.isalpha() or ch in NAME_JOINERS):
                if not (ch.isdigit() and p < end and _latin(t[p - 1]) and _latin(t[p])):
                    break
            if ch in NAME_JOINERS and (p < 2 or t[p - 2] in NAME_JOINERS or t[p - 2] in DELIMITERS):
                break  # "荣誉--中央统战部": a dash, not a name's hyphen
            if p in ends:
                break
            conj = next(
                (c for c in CONJUNCTIONS if t.startswith(c, p - len(c)) and is_word(t, p - len(c), p)), None
            )  # a word of its own: not the 和 of 中华人民共和国
            if conj is not None and p != end and t[left_of(p, conj) - 1 : left_of(p, conj)] in ("、", ""):
                p -= len(conj)  # "、和田浩林…": an item starts with the character, no conjunction here
                continue
            if conj is not None and p != end:
                left = p - len(conj)
                if (
                    self._word_ending_at(t, left, self.suffixes)
                    or conj != "与"
                    and "、" in t[max(floor, t.rfind(",", floor, left) + 1) : left]  # "A、B和C"
                    or left in ends
                    or any(self._word_ending_at(t, left - k, self.roles) for k in (2, 3))  # 总裁关彦斌与…
                    or self._person_before(t, left)  # 教授艾伦·布莱克和…
                ):
                    break
                p = left
                continue
            if p <= end - 2 and self._word_ending_at(t, p, WEAK_DESCRIPTORS):
                break  # "美国军工企业|南港导弹公司" (but "…企业集团" is one name)
            stop = self._word_ending_at(t, p, self.stops)
            if (
                stop is not None
                and len(stop) >= 2
                and stop not in CONJUNCTIONS
                and t[p - len(stop) - 1 : p - len(stop)] == "、"
            ):
                p -= len(stop)  # "、联合石油化工有限公司": an enumeration's item starts with the word
                continue
            if stop is not None or t[p - 1] in STRONG_STOPS and (t[p - 1] not in "和与及" or is_word(t, p - 1, p)):
                break
            p -= 1
        while p < end and (t[p] in NAME_JOINERS or t.startswith(CONJUNCTIONS, p)) and t[p - 1 : p] not in ("、",):
            p += next((len(c) for c in CONJUNCTIONS if t.startswith(c, p)), 1)
        return p

    def _person_before(self, t: str, p: int) -> bool:
        """Does the text just left of ``p`` (back to a delimiter) hold a role word or a joined name?"""
        q = p
        while q > 0 and t[q - 1] not in DELIMITERS and p - q < 20:
            q -= 1
        piece = t[q:p]
        return any(j in piece for j in NAME_JOINERS) or any(r in piece for r in self.roles if len(r) > 1)

    def _inside_word(self, t: str, p: int, words: Sequence[str]) -> bool:
        """Does one of ``words`` run across position ``p`` (董事|长: "董事" ends inside "董事长")?"""
        for w in words:
            for k in range(1, len(w)):
                if p - k >= 0 and t.startswith(w, p - k):
                    return True
        return False

    def _after_count(self, t: str, start: int) -> bool:
        """Does the name at ``start`` open with a classifier after a number ("31|间中国公司")?"""
        return start > 0 and t[start] in CLASSIFIERS and (t[start - 1].isdigit() or t[start - 1] in NUMERALS)

    def _plausible_person(self, name: str) -> bool:
        """A Chinese name starts with a surname (the lexicon's list); a transliterated one has a joiner."""
        if any(j in name for j in NAME_JOINERS):
            return bool(FOREIGN_NAME.fullmatch(name))  # 让-马克·迪布朗, not "--"
        return name[:2] in self.surnames or name[:1] in self.surnames

    def _is_generic(self, name: str) -> bool:
        if COUNTED.search(name):
            return True  # "两名伊朗人和四家中国公司": counts, not a name
        core = re.sub(r"^[0-9一二三四五六七八九十百千两几多]+[个家间所名位]?", "", name)
        core = re.sub(
            r"^(?:中国|美国|我国|国内|外国|海外|该|这家|此|各|其|以下|下列|上述|有关|相关|多家|部分)", "", core
        )
        return name in self.generic or core in self.generic or not core or len(name) < 2

    @property
    def jieba(self) -> Any:
        """jieba's part-of-speech tokenizer (its dictionary ships in the package; loaded on first use)."""
        if self._jieba is None:
            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer(str(_jieba_dictionary(Path(jieba.__file__).parent / "dict.txt")))
            self._jieba = jieba.posseg.POSTokenizer(tok)
        return self._jieba

    def segment(self, text: str) -> Segmented:
        """``text`` with jieba's word boundaries."""
        bounds = {0, len(text)}
        pos = 0
        for word in self.jieba.tokenizer.cut(text, HMM=True):
            pos += len(word)
            bounds.add(pos)
        return Segmented(text, bounds)

    def _jieba_name(self, run: str) -> str | None:
        """Where a person's name ends in ``run`` when no delimiter or function word says it:
        jieba's person tag (nr, nrfg) on the run's first words."""
        name = ""
        for pair in self.jieba.cut(run):
            word, flag = pair.word, pair.flag
            if flag.startswith("nr") and len(name) + len(word) <= 4:
                name += word
                continue
            break
        return name if 2 <= len(name) <= 4 else None

    # -- the passes -------------------------------------------------------------------------

    def _lists_and_awards(self, t: str) -> list[ZhEnt]:
        out: list[ZhEnt] = []

        def free(s: int, e: int) -> bool:
            return not any(x.overlaps(s, e) for x in out)

        for alias, reason in self.list_aliases:
            for m in re.finditer(re.escape(alias), t):
                if free(m.start(), m.end()):
                    out.append(ZhEnt(m.start(), m.end(), "LIST", alias, reason, how="alias"))
        for kw, reason in self.list_keywords:
            for m in re.finditer(re.escape(kw), t):
                tail = t[m.end() : m.end() + 14]
                noun = re.search("|".join(map(re.escape, self.lexicon.list_nouns)) or "$^", tail)
                if noun is None or any(c in "。!?;\n" for c in tail[: noun.start()]):
                    # "将小米列为(所谓)“中国军方企业”": the designation names the list without its noun
                    if not DESIGNATED_AS.search(t, max(0, m.start() - 8), m.start()):
                        continue
                    end = m.end() + (1 if t[m.end() : m.end() + 1] in ("”", '"', "」", "'") else 0)
                else:
                    end = m.end() + noun.end()
                s = m.start()
                while s > 0 and t[s - 1] in "「『“\"'":
                    s -= 1
                if free(s, end):
                    out.append(ZhEnt(s, end, "LIST", t[s:end], reason, how="keyword"))
        for alias, reason in self.award_aliases:
            for m in re.finditer(re.escape(alias), t):
                s = m.start()
                q = QUALIFIER_BEFORE.search(t[max(0, s - 10) : s])
                if q is not None:
                    s -= len(q.group())
                if free(s, m.end()):
                    out.append(ZhEnt(s, m.end(), "AWARD", t[s : m.end()], reason, how="alias"))
        # quoted titles followed by (or ending in) an award noun: “杰出青年”称号
        for m in re.finditer(r"[“\"「『]([^“”\"「」『』\n]{2,30})[”\"」』]", t):
            inner = m.group(1)
            award_noun = self._word_at(t, m.end(), self.award_nouns)
            ends_award = any(inner.endswith(n) for n in self.award_nouns)
            if award_noun is None and not ends_award:
                continue
            end = m.end() + (len(award_noun) if award_noun else 0)
            inside = [x for x in out if x.label == "AWARD" and x.overlaps(m.start(), end)]
            if inside:
                for x in inside:  # the quoted title is the award's written extent
                    x.start, x.end = min(x.start, m.start()), max(x.end, end)
                    x.text = t[x.start : x.end]
                continue
            if any(x.overlaps(m.start(), end) for x in out):
                continue
            reason = LEADING_QUALIFIER.sub("", inner).strip() or inner
            out.append(ZhEnt(m.start(), end, "AWARD", t[m.start() : end], reason, how="quoted"))
        for list_noun in _longest_first(self.lexicon.list_nouns):
            for m in re.finditer(re.escape(list_noun), t):
                if free(m.start(), m.end()):
                    out.append(ZhEnt(m.start(), m.end(), "LIST", list_noun, None, how="noun"))
        return out

    def _orgs_by_shape(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        cands: list[ZhEnt] = []
        named = occupancy((x for x in taken if x.label in ("LIST", "AWARD")), len(t))
        for m in NUMBERED_UNIT.finditer(t):  # "…研究院第二〇六所": a numbered institute ends the name
            start = self._grow_left(t, m.start(), taken)
            if start < m.start() and not any(named[start : m.end()]):
                cands.append(ZhEnt(start, m.end(), "ORG", t[start : m.end()], how="shape"))
        for suffix in self.suffixes:
            strong = len(suffix) >= 3 or suffix in STRONG_SUFFIXES
            for m in re.finditer(re.escape(suffix), t):
                end = m.end()
                if not (self._right_bound(t, end) or strong and at_boundary(t, end)):
                    continue
                if self._word_at(t, m.start(), self.roles) and not self._word_ending_at(t, end, self.suffixes):
                    continue
                start = self._grow_left(t, m.start(), taken)
                if start == m.start() and len(suffix) < 2:
                    continue
                name = t[start:end]
                if self._is_generic(name) or name == suffix or self._after_count(t, start):
                    continue
                if start >= 2 and t[start - 1] in CLASSIFIERS and (t[start - 2] in NUMERALS or t[start - 2].isdigit()):
                    continue  # "1个|警察学院": a count of a kind, no name
                if any(named[start:end]):
                    continue
                cands.append(ZhEnt(start, end, "ORG", name, how="shape"))
        out: list[ZhEnt] = []
        occ = bytearray(len(t))
        for c in sorted(cands, key=lambda c: (-(c.end - c.start), c.start)):
            if not any(occ[c.start : c.end]):
                out.append(c)
                occ[c.start : c.end] = b"\x01" * (c.end - c.start)
        return out

    def _latin_names(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        """Names written in Latin letters inside Chinese text ("据报道，Hexwave Microsystems被列入…",
        "无人机制造商Skyfar Robotics", "Luxra Optics Co., Ltd."): two capitalised words or more, or one
        with a legal form or an organisation suffix after it, are an organisation; after a leader's
        role ("董事长Ivan Salkov") two or three plain words are a person. Acronyms of lists, issuers
        and roles (SDN, BIS, CEO), and what another pass named, are none."""
        out: list[ZhEnt] = []
        occ = occupancy(taken, len(t))
        for m in LATIN_NAME.finditer(t):
            ns, ne = m.start(), latin_name_end(t, m)
            while ne > ns and t[ne - 1] in " ,":
                ne -= 1
            if ns > 0 and _latin(t[ns - 1]) or ne < len(t) and _latin(t[ne]):
                continue  # inside a longer Latin run (an English sentence): the English side's business
            core = t[ns:ne].strip(" .")
            words = core.replace(",", " ").split()
            if not words or core.upper() in self.latin_stop or any(occ[ns:ne]):
                continue
            suffix = self._word_at(t, ne, self.suffixes)
            legal = words[-1].rstrip(".").casefold() in LATIN_LEGAL
            if len(words) < 2 and not (suffix or legal):
                continue
            role = next((r for r in self.roles if t.endswith(r, 0, ns)), None)
            if role is not None and 2 <= len(words) <= 3 and not legal and not suffix:
                out.append(ZhEnt(ns, ne, "PERSON", t[ns:ne], roles=[role], how="latin"))
                continue
            end = ne + len(suffix) if suffix else ne
            out.append(ZhEnt(ns, end, "ORG", t[ns:end], how="latin"))
            occ[ns:end] = b"\x01" * (end - ns)
        return out

    def _name_at(self, t: str, p: int) -> int | None:
        """End of a person's name starting at ``p`` (after a role), or None."""
        q = p
        while q < len(t) and (HAN.match(t[q]) or t[q] in NAME_JOINERS) and q - p < 16:
            if q - p >= 2 and t[q] not in NAME_JOINERS and t[q - 1] not in NAME_JOINERS:
                if self._word_at(t, q, self.right_bounds) is not None:
                    break
                if t[q] in NUMERALS and q + 1 < len(t) and t[q + 1] in CLASSIFIERS:
                    break
            q += 1
        run = t[p:q]
        if any(j in run for j in NAME_JOINERS):
            return q if len(run) >= 3 and run[0] not in NAME_JOINERS else None
        if 2 <= len(run) <= 4 and self._right_bound(t, q):
            return q
        if len(run) > 4:
            name = self._jieba_name(t[p : p + 8])
            return p + len(name) if name else None
        return None

    def _people(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        out: list[ZhEnt] = []
        occ = occupancy(taken, len(t))
        p = 1
        while p < len(t):
            role = self._word_ending_at(t, p, self.roles) if t[p - 1] in self.role_tails else None
            if (
                role is None
                or not (HAN.match(t[p]) or t[p].isalpha() or t[p] in " \t\u3000")
                or self._inside_word(t, p, self.roles)
            ):
                p += 1
                continue
            if occ[p] or any(e.overlaps(p, p + 1) for e in out[-3:]):
                p += 1
                continue
            role_end = np_ = p
            while np_ < len(t) and t[np_] in " \t\u3000" and np_ - p < 3:
                np_ += 1  # a list line: "…公司董事长 张明远"
            end = self._name_at(t, np_) if np_ < len(t) and HAN.match(t[np_]) else None
            if end is None:
                p += 1
                continue
            p = np_
            name = t[p:end]
            if (
                name in self.roles
                or self._is_generic(name)
                or self._word_at(t, p, self.suffixes) == name
                or not self._plausible_person(name)
            ):
                p += 1
                continue
            roles = [role]
            rs = role_end - len(role)
            while rs > 1 and t[rs - 1] in "、兼":  # "创始人、董事长兼首席执行官雷军"
                prev = self._word_ending_at(t, rs - 1, self.roles)
                if prev is None:
                    break
                roles.insert(0, prev)
                rs = rs - 1 - len(prev)
            former = rs > 0 and t[rs - 1] in "原前"
            leader = not former and any(r in self.leader_roles for r in roles)
            employer = next((e for e in taken if e.label == "ORG" and e.end == rs - (1 if former else 0)), None)
            if employer is None and rs > 0 and t[rs - 1] == "的":  # "小米集团的创始人雷军"
                employer = next((e for e in taken if e.label == "ORG" and e.end == rs - 1), None)
            if employer is None:
                es = self._grow_left(t, rs, taken)
                cand = t[es:rs]
                if len(cand) >= 2 and not self._is_generic(cand) and HAN.match(cand[-1]):
                    employer = ZhEnt(es, rs, "ORG", cand, how="employer")
                    taken.append(employer)
            out.append(ZhEnt(p, end, "PERSON", name, roles=roles, leader=leader, employer=employer, how="role"))
            p = end
        # a list line "张明远  青禾智能科技有限公司董事长": the name, then its employer and role
        for m in LIST_LINE.finditer(t):
            name, rest = m.group(1), m.group(2)
            role = self._word_ending_at(rest, len(rest), self.roles)
            if (
                role is None
                or not self._plausible_person(name)
                or any(e.overlaps(m.start(1), m.end(1)) for e in taken + out)
            ):
                continue
            org_s, org_e = m.start(2), m.end(2) - len(role)
            roles = [role]
            while t[org_e - 1 : org_e] in ("、", "兼"):  # "…公司董事长、总经理": every role, the employer before them
                prev = self._word_ending_at(t, org_e - 1, self.roles)
                if prev is None:
                    break
                roles.insert(0, prev)
                org_e -= 1 + len(prev)
            employer = next((e for e in taken if e.label == "ORG" and e.end == org_e), None)
            if employer is None and org_e - org_s >= 2 and not self._is_generic(t[org_s:org_e]):
                employer = ZhEnt(org_s, org_e, "ORG", t[org_s:org_e], how="line")
                taken.append(employer)
            leader = any(r in self.leader_roles for r in roles)
            out.append(
                ZhEnt(m.start(1), m.end(1), "PERSON", name, roles=roles, leader=leader, employer=employer, how="line")
            )
        # a line of names separated by spaces: "王海岳　刘青禾　张明远"
        for m in re.finditer(
            r"(?m)^[ \t\u3000]*((?:[\u4e00-\u9fff]{2,4}[ \t\u3000]+)+[\u4e00-\u9fff]{2,4})[ \t\u3000]*$", t
        ):
            names = list(re.finditer(r"[\u4e00-\u9fff]{2,4}", m.group(1)))
            if len(names) < 2 or not all(self._plausible_person(n.group()) for n in names):
                continue
            for n in names:
                s_, e_ = m.start(1) + n.start(), m.start(1) + n.end()
                if not any(x.overlaps(s_, e_) for x in taken + out):
                    out.append(ZhEnt(s_, e_, "PERSON", n.group(), how="name-line"))
        # 雷军(小米集团创始人): a name before a bracketed role
        for m in re.finditer(r"\(([^()\n]{2,30})\)", t):
            inner = m.group(1)
            role = self._word_ending_at(inner, len(inner), self.roles)
            if role is None:
                continue
            s = self._grow_left(t, m.start(), taken + out, limit=12)
            name = t[s : m.start()]
            if (
                not (2 <= len(name) <= 4 or any(j in name for j in NAME_JOINERS))
                or any(e.overlaps(s, m.start()) for e in taken + out)
                or not self._plausible_person(name)
            ):
                continue
            org_text = inner[: -len(role)]
            org_end = m.start() + 1 + len(org_text)
            employer = next((e for e in taken if e.label == "ORG" and e.end == org_end), None)
            if employer is None and len(org_text) >= 2 and not self._is_generic(org_text):
                employer = ZhEnt(m.start() + 1, org_end, "ORG", org_text, how="bracket")
                taken.append(employer)
            out.append(
                ZhEnt(
                    s,
                    m.start(),
                    "PERSON",
                    name,
                    roles=[role],
                    leader=role in self.leader_roles,
                    employer=employer,
                    how="bracket",
                )
            )
        return out

    def _foreign_people(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        """Transliterated names joined by a middle dot ("汉斯·穆勒", "劳尔·卡斯特罗") that no role or shape
        gave: people (an organisation's name written so ends in its suffix and is taken by its shape
        first). The name starts where a name can start (after a delimiter or a function word) and
        ends where one can end."""
        out: list[ZhEnt] = []
        occ = occupancy(taken, len(t))
        for m in re.finditer(r"[\u4e00-\u9fff](?:[·•‧][\u4e00-\u9fff]+)+", t):
            first_end = m.start() + 1  # the joiner after the first part
            s = self._grow_left(t, first_end, taken, limit=8)
            last = max(t.rfind(j, m.start(), m.end()) for j in "·•‧") + 1  # the last part starts here
            q = last + 1
            while q < m.end() and not (q - last >= 2 and self._right_bound(t, q)):
                q += 1
            name = t[s:q]
            if not (2 <= first_end - s <= 8) or any(occ[s:q]) or not FOREIGN_NAME.fullmatch(name):
                continue
            if self._word_at(t, q, self.suffixes) or self._word_ending_at(t, q, self.suffixes):
                continue
            out.append(ZhEnt(s, q, "PERSON", name, how="foreign"))
            occ[s:q] = b"\x01" * (q - s)
        return out

    def _watchlist(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        out: list[ZhEnt] = []
        for alias, label, eid in self.watch:
            for m in re.finditer(re.escape(alias), t):
                if any(e.overlaps(m.start(), m.end()) for e in taken + out):
                    for e in taken:
                        if e.label == label and e.start == m.start() and e.end == m.end():
                            e.entity_id = eid
                    continue
                out.append(ZhEnt(m.start(), m.end(), label, alias, how="watchlist", entity_id=eid))
        return out

    def _enumerations(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        """Items of "A、B、C等8个企业" (or a list holding a recognised organisation) are organisations."""
        out: list[ZhEnt] = []
        for chunk in re.finditer(r"[^,;:!?。\n“”\"「」()]+", t):
            if "、" not in chunk.group():
                continue
            base = chunk.start()
            parts: list[tuple[int, int]] = []
            pos = base
            named = [e for e in taken if e.label in ("ORG", "PERSON") and e.overlaps(base, chunk.end())]
            for piece in chunk.group().split("、"):
                parts.append((pos, pos + len(piece)))
                pos += len(piece) + 1
            # the first item starts after the last function word; an item cut short by a function
            # word ("大华科技|等企业先前的出口") is the last one
            s0, e0 = parts[0]
            parts[0] = (self._grow_left(t, e0, taken), e0)
            items: list[tuple[int, int]] = []
            tail = ""
            for s_, e_ in parts:
                q = s_ + 1
                while q < e_ and not (q - s_ >= 2 and self._right_bound(t, q)):
                    q += 1
                    suffix = self._word_at(t, q, self.suffixes) if q < e_ else None
                    if suffix and q + len(suffix) == e_ and not self._word_at(t, q, self.right_bounds):
                        q = e_  # "大华|技术": the item ends with an organisation's suffix
                items.append((s_, q))
                if q < e_:
                    tail = t[q:e_]
                    break
            parts = items
            org_typed = bool(ORG_CLASSIFIER.match(tail))
            known = [next((e for e in named if e.overlaps(s, e_)), None) for s, e_ in parts]
            if any(k is not None and k.label == "ORG" for k in known):
                org_typed = org_typed or sum(1 for k in known if k is not None) >= 1
            if any(k is not None and k.label == "PERSON" for k in known) or not org_typed:
                continue
            for (s, e_), k in zip(parts, known, strict=True):
                name = t[s:e_]
                if k is not None or not (2 <= len(name) <= 20) or self._is_generic(name):
                    continue
                if not all(HAN.match(c) or c.isalpha() or c in NAME_JOINERS for c in name):
                    continue
                if any(x.overlaps(s, e_) for x in taken + out):
                    continue
                out.append(ZhEnt(s, e_, "ORG", name, how="enumeration"))
        return out

    def _repeats(self, t: str, taken: list[ZhEnt]) -> list[ZhEnt]:
        """A name recognised once (by its role or shape) is the same kind of name wherever else it
        is written in the article ("授予张明远等20人…", then "董事长张明远")."""
        out: list[ZhEnt] = []
        names = {(e.text, e.label) for e in taken if e.label in ("ORG", "PERSON") and len(e.text) >= 2}
        occ = occupancy(taken, len(t))
        for name, label in sorted(names, key=lambda x: -len(x[0])):
            for m in re.finditer(re.escape(name), t):
                if any(occ[m.start() : m.end()]):
                    continue
                if m.start() > 0 and HAN.match(t[m.start() - 1]) and not self._word_ending_at(t, m.start(), self.stops):
                    continue
                if not self._right_bound(t, m.end()):
                    continue
                out.append(ZhEnt(m.start(), m.end(), label, name, how="repeat"))
                occ[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        return out

    def slot_names(self, t: str, lo: int, hi: int, listing: bool, siblings: int = 0) -> list[ZhEnt]:
        """Names in a target slot that no shape or role gave: the slot's items (split at 、, 和, 与 …)
        that read as a person (a surname and jieba's person tag) or, in a listing's slot (将 X 列入),
        as an organisation; counts (11家中国实体), generic nouns and pronouns are none. In a listing, an
        item that reads as a common word ("浪潮") is an organisation when two of its items (or
        ``siblings``, names recognised beside the slot) are."""
        out: list[ZhEnt] = []
        plain: list[ZhEnt] = []  # a listing's items that read as common words ("浪潮")
        several = 0  # of them, those jieba cuts into several words
        # "A、B等知名企业" / "这8家企业分别是: A、B": the items are organisations, whatever jieba says
        orgs = listing and bool(ORG_TAIL.search(t, lo, min(len(t), hi + 12)) or ORG_HEAD.search(t, max(0, lo - 12), lo))
        # "A、B、C等11名官员": the items are people; what follows 等 and the count describes them
        people = PEOPLE_TAIL.search(t, lo, min(len(t), hi + 12))
        if people is not None:
            orgs = False
            hi = min(hi, people.start())
        for m in SPACED_NAME.finditer(t, lo, hi):  # "王　伟": a two-character name set out to align
            if (m.start() == lo or t[m.start() - 1] in DELIMITERS) and self._plausible_person(m.group()):
                out.append(ZhEnt(m.start(), m.end(), "PERSON", m.group(), how="slot"))
        for m in SLOT_ITEM.finditer(t, lo, hi):
            s0, e0 = m.start(), m.end()
            if any(x.overlaps(s0, e0) for x in out):
                continue
            for s, e in self._split_conjunctions(t, s0, e0):
                latin = LATIN_NAME.search(t, s, e)
                if latin is not None:
                    self._latin_item(t, s, e, latin, listing, out)
                    continue
                s = self._strip_left(t, s, e)
                e = self._strip_right(t, s, e)
                name = t[s:e]
                if len(name) < 2 or len(name) > 25 or self._is_generic(name) or self._after_count(t, s):
                    continue
                if not all(HAN.match(c) or c.isalpha() or c in NAME_JOINERS for c in name.rstrip("0123456789")):
                    continue
                if name.startswith(ANAPHORS) or name in self.roles or t.startswith("的", e):
                    continue  # a pronoun, a role, or a modifier ("与新疆…有关|的中国实体")
                if COUNTED.search(name):
                    continue  # "两名伊朗人和四家中国公司": counts, not names
                flags = [p.flag for p in self.jieba.cut(name)]
                # a recipient's slot holds people: a surname is enough there; a listing's slot wants
                # jieba's person tag too (jieba's tag alone reads 张明远 as 张|明远)
                tagged = bool(flags) and flags[0].startswith("nr")
                # 农民工: one dictionary word, no name (申纪兰/nz: a proper noun is one)
                common_word = len(flags) == 1 and not flags[0].startswith(PROPER_TAGS)
                counted = bool(re.match(r"[0-9一二三四五六七八九十百千两几]+[个家间名位人]", t[e : e + 6]))
                person = (
                    (
                        not orgs
                        and people is not None
                        and 2 <= len(name) <= 4
                        and self._plausible_person(name)
                        and not common_word
                    )
                    or (
                        not orgs
                        and (
                            (
                                2 <= len(name) <= 4
                                and self._plausible_person(name)
                                # a listing's slot holds companies too (海康威/nr|视): a person's name is short
                                and (
                                    tagged
                                    and (not listing or len(name) <= 3 or name[:2] in self.surnames)
                                    or not listing
                                    and len(name) <= 3
                                    and not common_word
                                )
                                and not counted
                            )
                            or bool(FOREIGN_NAME.fullmatch(name))
                        )
                    )
                )
                if person:
                    out.append(ZhEnt(s, e, "PERSON", name, how="slot"))
                elif listing and 2 <= len(name) <= 6 and all(HAN.match(c) for c in name):
                    plain.append(ZhEnt(s, e, "ORG", name, how="slot"))  # kept if its siblings are names
                    if any(f.startswith(PROPER_TAGS) for f in flags) and not flags[0].startswith(NOT_NAME_TAGS):
                        out.append(plain.pop())
                    elif len(flags) >= 2:
                        several += 1  # "中|芯|国际": no dictionary word, a name jieba does not know
                elif (
                    listing and any(f.startswith(PROPER_TAGS) for f in flags) and not flags[0].startswith(NOT_NAME_TAGS)
                ):
                    out.append(ZhEnt(s, e, "ORG", name, how="slot"))
        alone = not out and len(plain) == 1 and several == 1 and not siblings  # "把中芯国际列入…"
        if orgs or alone or sum(1 for e in out if e.label == "ORG") + siblings >= 2:
            out += [e for e in plain if not COMMON_NOT_NAMES.search(e.text)]  # "华大基因、浪潮、中科曙光"
            out.sort(key=lambda e: e.start)
        return out

    def _latin_item(self, t: str, s: int, e: int, latin: re.Match[str], listing: bool, out: list[ZhEnt]) -> None:
        """A slot's item holding a name in Latin letters ("美国无人机企业Skydio公司", "Kaspersky Lab"): the
        Latin name and an organisation suffix right after it are the name, a Han modifier before
        it is not; acronyms of lists, issuers and roles (SDN, BIS, CEO) name nobody."""
        ns, ne = latin.start(), latin_name_end(t, latin)
        while ne > ns and t[ne - 1] in " .,":
            ne -= (
                1
                if t[ne - 1] != "." or not re.search(r"(?:Co|Ltd|Inc|Corp|Ltda|L\.L\.C|S\.A|Jr)$", t[ns : ne - 1])
                else 0
            )
            if t[ne - 1] == ".":
                break
        suffix = self._word_at(t, ne, self.suffixes)
        if suffix and ne + len(suffix) <= e:
            ne += len(suffix)
        name = t[ns:ne]
        core = latin.group().strip(" .,")
        if len(core) < 2 or core.upper() in self.latin_stop or not (listing or suffix):
            return
        if any(x.overlaps(ns, ne) for x in out):
            return
        out.append(ZhEnt(ns, ne, "ORG", name, how="latin"))

    def _split_conjunctions(self, t: str, s: int, e: int) -> list[tuple[int, int]]:
        out, start = [], s
        i = s
        while i < e:
            conj = next((c for c in CONJUNCTIONS if t.startswith(c, i) and is_word(t, i, i + len(c))), None)
            if conj is None and t.startswith("及其", i):
                conj = "及其"  # "中芯国际及其部分子公司": the parent, then what it holds
            if conj is not None and i > start:
                out.append((start, i))
                start = i + len(conj)
                i = start
                continue
            i += 1
        out.append((start, e))
        return [(a, b) for a, b in out if b > a]

    def _strip_left(self, t: str, s: int, e: int) -> int:
        for d in DESCRIPTORS:  # "芯片制造商|中芯国际"
            i = t.rfind(d, s, e)
            if i >= 0 and e - (i + len(d)) >= 2:
                s = i + len(d)
        changed = True
        while changed and s < e:
            changed = False
            w = self._word_at(t, s, SLOT_LEADS)
            if w is not None:
                s += len(w)
                changed = True
        return s

    def _strip_right(self, t: str, s: int, e: int) -> int:
        """Where a slot's item (already cut at 、, 和 …) ends: before a function word, a trigger, a
        role, a count ("3家") or a character no name holds; an organisation's suffix inside it is
        part of it ("青岛泰德汽车轴承", "云从科技")."""
        q = s + 1
        while q < e:
            if q - s >= 2:
                ch = t[q]
                if not (HAN.match(ch) or ch.isalnum()):
                    break
                if ch in NUMERALS and q + 1 < len(t) and t[q + 1] in CLASSIFIERS:
                    break
                if ch.isdigit() and not (HAN.match(t[q - 1]) or t[q - 1].isdigit()):
                    break
                if self._word_at(t, q, self.right_bounds) is not None:
                    break
            q += 1
        return q

    # -- the whole article ------------------------------------------------------------------

    def __call__(self, original: str) -> ZhAnnotated:
        norm = unwrap(normalise(original))
        t = norm.text = self.segment(norm.text)
        ents = self._annotate_windows(t)
        ents.sort(key=lambda e: (e.start, -e.end))
        sentences = split_sentences(t, norm)
        return ZhAnnotated(norm, sentences, ents, self._doc(norm, sentences, ents))

    def _annotate(self, t: str) -> list[ZhEnt]:
        """The passes over one text (an article, or one window of a long one)."""
        ents = self._lists_and_awards(t)
        ents += self._orgs_by_shape(t, ents)
        ents += self._latin_names(t, ents)
        ents += self._people(t, ents)
        ents += self._foreign_people(t, ents)
        ents += self._watchlist(t, ents)
        ents += self._enumerations(t, ents)
        ents += self._repeats(t, ents)
        return ents

    def _annotate_windows(self, t: Segmented) -> list[ZhEnt]:
        """:meth:`_annotate` over windows of a long text (nlp/windows.py, cut at a line or sentence
        end), so the cost grows with the text's length, not with its square: each window keeps the
        names that start in its own part (up to the middle of the overlap with its neighbours); the
        passes read at most a few sentences around a name, far less than the overlap."""
        if len(t) <= WINDOW_CHARS:
            return self._annotate(t)
        spans = windows(t, WINDOW_CHARS, WINDOW_OVERLAP, CJK_SENTENCE_END)
        bounds = sorted(t.bounds)
        kept: list[ZhEnt] = []
        for k, (a, b) in enumerate(spans):
            own_a = 0 if k == 0 else (a + spans[k - 1][1]) // 2
            own_b = len(t) if k == len(spans) - 1 else (spans[k + 1][0] + b) // 2
            lo, hi = bisect.bisect_left(bounds, a), bisect.bisect_right(bounds, b)
            piece = Segmented(t[a:b], (p - a for p in bounds[lo:hi]))
            found = self._annotate(piece)
            for e in found:
                e.start += a
                e.end += a
            kept += [e for e in found if own_a <= e.start < own_b]
        # a person's employer written across a window's edge: the copy kept
        where = {(e.start, e.end, e.label): e for e in kept}
        for e in kept:
            if e.employer is not None:
                e.employer = where.get((e.employer.start, e.employer.end, "ORG"), e.employer)
        return kept

    def _doc(self, norm: Normalised, sentences: list[tuple[int, int]], ents: list[ZhEnt]) -> Doc:
        text = norm.original
        starts = {norm.span(s, e)[0] for s, e in sentences if e > s}
        # sentence starts given to the constructor: set token by token they cost O(n) each
        flags: list[bool | int | None] = [i == 0 or i in starts for i in range(len(text))]
        doc = Doc(self.vocab, words=list(text), spaces=[False] * len(text), sent_starts=flags)
        spans: list[Span] = []
        occ = bytearray(len(text))
        for e in sorted(ents, key=lambda e: -(e.end - e.start)):
            s, end = norm.span(e.start, e.end)
            if end <= s or any(occ[s:end]):
                continue
            spans.append(Span(doc, s, end, label=e.label))
            occ[s:end] = b"\x01" * (end - s)
        doc.ents = sorted(spans, key=lambda sp: sp.start)
        return doc


JIEBA_MIN_FREQ = 50  # words of jieba's dictionary kept: about 52,000 of 349,000 (memory: ~15 MB, not ~170)


def _jieba_dictionary(full: Path) -> Path:
    """jieba's shipped dictionary without its rare words, written once beside jieba's own cache (the
    system's temporary folder): the words that decide boundaries and tags here are frequent ones,
    and the whole dictionary costs about 170 MB per process."""
    out = Path(tempfile.gettempdir()) / f"newswatch-jieba-{JIEBA_MIN_FREQ}-{full.stat().st_size}.txt"
    if out.exists():
        return out
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with full.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
        for line in src:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= JIEBA_MIN_FREQ:
                dst.write(line)
    os.replace(tmp, out)
    return out


def split_sentences(t: str, norm: Normalised | None = None) -> list[tuple[int, int]]:
    """Sentences of the normalised text: up to and with 。!? or a line end (closing quotes kept).

    With ``norm`` (the way back to the original), an ASCII ? or ! written between Han characters
    ("慶?!拔逡弧") is encoding residue, not a sentence end: Chinese text ends its sentences with the
    full-width ？！, and a page decoded with the wrong charset leaves ASCII ? where bytes were lost."""
    out: list[tuple[int, int]] = []
    start = 0
    i = 0
    n = len(t)
    while i < n:
        if t[i] in SENTENCE_END and not (norm is not None and _residue_mark(t, norm, i)):
            end = i + 1
            while end < n and t[end] in '”"」』)':
                end += 1
            if t[start:end].strip():
                out.append((start, end))
            start = end
            i = end
            continue
        i += 1
    if t[start:].strip():
        out.append((start, n))
    return out


WRAP_MIN = 18  # a line this long that stops mid-sentence was wrapped by the page's layout
NOT_WRAPPED_NEXT = re.compile(r"[一二三四五六七八九十]+、|第[一二三四五六七八九十百0-9]+[条章节款]")


def _wrapped(t: str, i: int) -> bool:
    """Is the line break at ``t[i]`` the page's layout inside a sentence ("…以及|8家中国公司列入…"): a
    long line ending in a Han character, the next starting with one and no longer than it (a title
    before its paragraph is), neither a list's line (a name and a post set apart by spaces) nor an
    item or an article of a regulation?"""
    if t[i] != "\n" or i == 0 or i + 1 >= len(t):
        return False
    ls = t.rfind("\n", 0, i) + 1
    prev = t[ls:i]
    ne = t.find("\n", i + 1)
    nxt = t[i + 1 : len(t) if ne < 0 else ne]
    if len(prev) < WRAP_MIN or not nxt or not HAN.match(prev[-1]) or not HAN.match(nxt[0]):
        return False
    if re.search(r"\s", prev.strip()) or re.search(r"\s", nxt.strip()) or NOT_WRAPPED_NEXT.match(nxt):
        return False
    # wrapped at a width: the next line is no longer than this one (a title before its paragraph is)
    return len(nxt) <= len(prev) + 2


def unwrap(norm: Normalised) -> Normalised:
    """``norm`` without the line breaks the page's layout put inside sentences (:func:`_wrapped`):
    a name or a clause runs on across them; the way back keeps them in the evidence."""
    t = norm.text
    if "\n" not in t:
        return norm
    drop = {i for i in range(len(t)) if t[i] == "\n" and _wrapped(t, i)}
    if not drop:
        return norm
    keep = [i for i in range(len(t)) if i not in drop]
    return Normalised(norm.original, "".join(t[i] for i in keep), [norm.origin[i] for i in keep])


def _residue_mark(t: str, norm: Normalised, i: int) -> bool:
    """Is ``t[i]`` an ASCII ? or ! (as written) inside a run of Han characters?"""
    if t[i] not in "?!" or norm.original[norm.origin[i]] not in "?!":
        return False
    j = i + 1
    while j < len(t) and j - i < 3 and t[j] in "?!":
        j += 1
    k = i - 1
    while k >= 0 and i - k < 3 and t[k] in "?!":
        k -= 1
    return k >= 0 and bool(HAN.match(t[k])) and j < len(t) and bool(HAN.match(t[j]))
