"""Tie rules for Chinese: which organisation or person a clause puts on (or takes off) a list, or
honours, with the sentence that says so (verbatim, as written: traditional stays traditional).

Pure: a :class:`~.annotate.ZhAnnotated` and the :class:`~.lexicon.ZhLexicon` in, findings out.

Per trigger (``lexicon_zh.yaml`` ``triggers``), inside its clause (a sentence cut at ";"):

1. **hedges**: a hedge word (拟, 考虑, 呼吁, 或将, 否认 …) between the start of the trigger's phrase
   (its comma chunk and the one before) and the trigger: no finding;
2. **reason**: list triggers need a list in the clause (after the trigger, else before it: "从实体
   清单中移除"); a bare 清单/名单 takes the list named in the sentences before (or the title), else the
   one its issuer keeps (商务部 -> Entity List). Honour triggers need an honour in the clause (else
   later in the sentence: "获得了一份特殊的荣誉——…颁发了“…建设者”奖章");
3. **targets**, by the construction: 将/把 X 列入 (X between 将 and the verb; "将 X 从清单中移除");
   X 被(…)列入 (the subject before 被); 列入清单的 X (relative); X 荣获 (the subject); 向/为 X 颁发,
   授予 X …称号, 表彰 X (the object); then "…, 包括/其中包含 Y" continuing the act, and a lead-in
   ending in ":" whose names follow;
4. a person's employer written before their role is no target ("…公司董事长尹明善荣获" honours the
   chairman), but an honour of a **leader** (董事长, 总裁, 所长, 负责人 …) also goes to the
   organisation, ``via`` the person. A listing never passes from a person to their company.
"""

from __future__ import annotations

import dataclasses
import re

from ...models import Finding, Tie
from ..ties import MAX_QUIET_LINES
from .annotate import ANAPHORS, LATIN_LEGAL_COMMA, ChineseNlp, ZhAnnotated, ZhEnt, at_boundary, is_word

CONTINUATIONS = ("其中包含", "其中包括", "其中有", "其中", "包括", "包含", "分别是", "分别为", "涉及", "即")
BA = ("将", "把")
NOT_BA = ("将会", "将于", "将近", "将军", "将来", "将领", "将要", "将在", "将被", "将对")
GIVER_MARKERS = ("向", "为", "给")
AWARD_EVENT = ("大会", "会", "活动", "名单", "决定", "奖励", "对象", "仪式", "体系", "工作", "典礼")
GOVERNMENT_TAILS = ("政府", "法院", "国会", "议会", "参议院", "众议院", "白宫")
ANAPHORIC_AWARD = (
    "该称号",
    "此称号",
    "这一称号",
    "上述称号",
    "该荣誉",
    "这一荣誉",
    "此荣誉",
    "此殊荣",
    "该殊荣",
    "这一殊荣",
    "该奖",
    "此奖",
    "该奖章",
)
HEAD_FOLLOWERS = set(",、;:。!?)(”\"'」』")  # "(" : an English name or an abbreviation after the name
HEAD_FOLLOWER_WORDS = (
    "和",
    "与",
    "及",
    "以及",
    "等",
    "在内",
    "被",
    "已",
    "也",
    "均",
    "都",
    "分别",
    "共同",
    "一起",
    "同时",
    "再次",
    "此前",
    "曾",
    "于",
    "的",
    "获",
)
ACT_NOUNS = (
    "决定",
    "做法",
    "行为",
    "举措",
    "措施",
    "认定",
    "裁定",
    "理由",
    "依据",
    "原因",
    "计划",
    "可能",
    "风险",
    "传闻",
)
RELATIVE_LIST = re.compile(
    r"(?:[^,;:。]{0,12}?(?:实体|企业|公司|机构|单位|个人|人员|集体|名单|企业家|人士|同志|代表|获奖者|者)"
    r"(?:中)?,?(?:还有|分别为|分别是|包括|包含|有|为)"
    r"|(?:还有|还包括|包括|分别为|分别是|有))\s*:?"
)
NEXT_SENTENCE = re.compile(
    r"\s*(?:(?:此外|另外|同时|其中)\s*,?\s*)?(?:(?:这|上述|以上|此次|该批|其中|这些|被列入的|新增的)?[0-9一二三四五六七八九十两几]*[个家间名位]?"
    r"(?:中国)?(?:实体|企业|公司|机构|单位|个人|获奖者|人员|集体)(?:分别为|分别是|包括|包含|是|为|有)"
    r"|其中(?:包括|包含|有)|(?:此次|这次)?(?:新增|增列|被列入)的?(?:实体|企业|公司|机构)?(?:还)?包括"
    r"|(?:名单|清单)(?:中|上)?(?:还|也)?(?:包括|包含|有))\s*:?"
)
SUFFERED = ("遭到", "受到", "遭受", "遭")
LIGHT_VERBS = ("实施", "进行", "采取", "施加", "实行", "予以", "加以")  # 对 X 实施|制裁
NEGATIONS = ("未", "没", "不", "非", "无")
# an item of a list: "1.", "2、", "(3)", "(四)", "五、", "•", "-", "①"
ITEM_MARKER = re.compile(
    r"\s*(?:[0-9]{1,3}\s*[.、)]|\(\s*[0-9一二三四五六七八九十]{1,3}\s*\)|[一二三四五六七八九十]{1,3}\s*、|[•·\-*▪■●◆①-⑳])\s*"
)
ITEM_NAME_END = set(":,;。(")  # an item's name ends before its description
# a subject that takes up names given before: "上述企业已被列入", "这些公司均被"
ANAPHORIC_SUBJECT = re.compile(
    r"(?:上述|以上|这些|前述|该批)[0-9一二三四五六七八九十几多两]*[家个名所位]?"
    r"(?:企业|公司|实体|机构|单位|个人|人员|同志|集体)(?:均|都|也|已|已经|同时|此前|曾|还|亦)*\s*$"
)
ANNULLING = ("撤销", "推翻", "取消", "撤除")  # a court or an agency annulling a listing
LISTING_VERBS = ("列入", "列为", "认定为", "指定为", "纳入", "定性为")
COUNT_AFTER = re.compile(r"[0-9一二三四五六七八九十两几]+[家个名所间位]")
LIST_INCLUDES = re.compile(r"[”\"」』]?\s*(?:中|上|里)?\s*(?:还|也|已|则)?\s*(?:包括|包含|列有|有)\s*:?")
SPEECH_VERBS = ("表示", "说", "称", "指出", "认为", "介绍", "透露", "强调", "坦言", "回应")
TIME_AFTER = re.compile(
    r"(?:(?:于|在)?[0-9一二三四五六七八九十〇]{2,4}年|[0-9一二三四五六七八九十]{1,2}月|去年|今年|前年|近日|日前|早前|此前|早在|"
    r"近年|周[一二三四五六日]|上周|本周|当天|当地时间)"
)
BOOK_TITLE = re.compile(r"《[^《》\n]{1,60}》")
BRACKETED = re.compile(r"\([^()]*\)")
HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# verbs that lift sanctions: "解除对X的制裁" is a removal, never a sanction
LIFTING = ("解除", "取消", "撤销", "撤除", "终止", "停止", "结束", "放宽", "放松", "豁免", "免除")
# what an organisation holds or has: "X的子公司" is no X
PARTS = (
    "子公司",
    "分公司",
    "下属",
    "旗下",
    "关联",
    "附属",
    "部分",
    "家",
    "个",
    "所",
    "多家",
    "几家",
    "供应商",
    "客户",
    "合作伙伴",
    "股东",
    "母公司",
    "子企业",
    "分支",
    "实体",
    "员工",
    "高管",
    "产品",
    "业务",
    "部门",
)
DIGITS = "0123456789一二三四五六七八九十两几多"
ENUMERATORS = ("、", "和", "与", "及", "以及")  # a gap starting so holds another item
FORWARD = ("以下", "下列", "如下")  # anaphors naming what follows
PROPOSED = ("拟表彰", "拟推荐", "拟授予", "拟命名")
# removal verbs too general alone: a removal only with sanctions as their object
SANCTIONS_ONLY = ("取消", "撤除", "终止", "停止", "结束", "放宽", "放松", "豁免", "免除")
# honours named by the context, not the clause: "共有100人上榜", "…名单，A、B榜上有名"
CONTEXT_AWARD_TRIGGERS = (
    "上榜",
    "榜上有名",
    "获此殊荣",
    "获得表彰",
    "受到表彰",
    "获表彰",
    "受表彰",
    "名列其中",
    "位列其中",
    "在列",
    "均在其中",
    "也在其中",
    "亦在其中",
)
# a heading whose lines name the recipients: "…建设者名单如下:", "…拟表彰对象公示"
HEADING_TAILS = (
    "拟表彰对象名单",
    "拟表彰对象公示",
    "拟表彰对象的公示",
    "表彰对象名单",
    "表彰对象公示",
    "拟推荐对象公示",
    "获奖者名单",
    "获得者名单",
    "获奖名单",
    "表彰名单",
    "名单公示",
    "名单如下",
    "公示如下",
    "名单",
    "公示",
    "如下",
)


class _Kinds:
    def __init__(self, nlp: ChineseNlp) -> None:
        t = nlp.lexicon.triggers
        self.kind: dict[str, str] = {}
        for kind, words in (
            ("award_object", t.award_object),
            ("award_subject", t.award_subject),
            ("sanction", t.sanction),
            ("delisting", t.delisting),
            ("blacklist", t.blacklist),
        ):
            for w in words:
                self.kind.setdefault(w, kind)


def _semicolon_pieces(t: str, start: int, end: int) -> list[tuple[int, int]]:
    """``(at, next)`` for every ";" at ``at`` in ``[start, end)``: the piece after it runs to ``next``."""
    out = []
    at = start
    while at < end and t[at] == ";":
        nxt = t.find(";", at + 1, end)
        nxt = end if nxt < 0 else nxt
        out.append((at, nxt))
        at = nxt
    return out


def _chunks(t: str, start: int, end: int) -> list[tuple[int, int]]:
    """Comma chunks of ``t[start:end]``."""
    out = []
    s = start
    for i in range(start, end):
        if t[i] in ",:":
            out.append((s, i))
            s = i + 1
    out.append((s, end))
    return out


class ChineseTies:
    """The tie rules over one lexicon (see the module docstring)."""

    def __init__(self, nlp: ChineseNlp) -> None:
        self.nlp = nlp
        self.lex = nlp.lexicon
        self.kinds = _Kinds(nlp).kind
        self.words = sorted(self.kinds, key=len, reverse=True)
        self.issuers = sorted(
            ((alias, reason) for reason, aliases in self.lex.issuers.items() for alias in aliases),
            key=lambda x: -len(x[0]),
        )
        self.issuer_names = {a for a, _ in self.issuers}
        self.issuer_suffixes = tuple(a for a in self.issuer_names if len(a) >= 3 and HAN_RE.match(a))

    def __call__(self, ann: ZhAnnotated) -> list[Finding]:
        found: dict[tuple[str, str, str], Finding] = {}
        previous: Finding | None = None  # the last tie stated, for a next sentence that names its targets
        for si, (ss, se) in enumerate(ann.sentences):
            hits = self._triggers(ann, ss, se)
            if not hits:
                hits = self._honours_heading(ann, ss, se)
            here: list[Finding] = []
            if not hits:
                here += self._list_includes(ann, si)
            for ts, te, word in hits:
                here += self._at_trigger(ann, si, ss, se, ts, te, word)
            if not hits and previous is not None:
                here += self._next_sentence(ann, si, previous)
            for f in here:
                key = (" ".join(f.entity.split()), f.tie, f.reason.casefold())
                if key not in found or f.confidence > found[key].confidence:
                    found[key] = f
            last = self._last_act(ann, si, hits)
            # a sentence that named the act's targets keeps it for the next one ("此外，名单还包括…")
            continued = not hits and bool(here)
            previous = last if last is not None else previous if continued or not ann.norm.text[ss:se].strip() else None
        return sorted(found.values(), key=lambda f: (f.sentence_index, f.entity))

    # -- triggers ---------------------------------------------------------------------------

    def _triggers(self, ann: ZhAnnotated, ss: int, se: int) -> list[tuple[int, int, str]]:
        t = ann.norm.text
        taken: list[tuple[int, int, str]] = []
        inside = ann.near(ss, se)
        titles = [(m.start(), m.end()) for m in BOOK_TITLE.finditer(t, ss, se)]  # 《反外国制裁法》 states no act
        for word in self.words:
            i = t.find(word, ss, se)
            while i >= 0 and i + len(word) <= se:
                j = i + len(word)
                clash = any(a < j and i < b for a, b, _ in taken) or any(
                    e.start <= i and j <= e.end and not (e.label == "LIST" and self.kinds[word] == "sanction")
                    for e in inside
                )
                clash = clash or any(a <= i and j <= b for a, b in titles)
                if not clash and self._trigger_ok(ann, i, j, word):
                    taken.append((i, j, word))
                i = t.find(word, i + 1, se)
        return sorted(taken)

    def _last_act(self, ann: ZhAnnotated, si: int, hits: list[tuple[int, int, str]]) -> Finding | None:
        """The tie and reason of the sentence's last unhedged trigger (targets or not: "将3家中国实体
        列入实体清单。这3家实体分别为: …")."""
        t = ann.norm.text
        ss, se = ann.sentences[si]
        for ts, te, word in reversed(hits):
            kind = self.kinds.get(word, "award_heading")
            cs, ce = self._clause(t, ss, se, ts)
            if self._hedged(ann, cs, ts):
                continue
            reason, _, _ = self._reason(ann, si, kind, cs, ce, ss, se, ts, te)
            if reason is None:
                continue
            tie: Tie = "award" if kind.startswith("award") else "delisting" if kind == "delisting" else "blacklist"
            return Finding(entity="", entity_type="ORG", tie=tie, reason=reason, evidence="", explain={"trigger": word})
        return None

    def _next_sentence(self, ann: ZhAnnotated, si: int, act: Finding) -> list[Finding]:
        """ "这3家实体分别为: A、B" / "上述企业包括 A": the sentence after a stated act names its targets."""
        t = ann.norm.text
        ss, se = ann.sentences[si]
        m = NEXT_SENTENCE.match(t, ss, se)
        if m is None:
            return []
        evidence = ann.norm.verbatim(ss, se).strip()
        out = []
        for e in self._candidates(ann, m.end(), se, listing=act.tie != "award"):
            out.append(
                Finding(
                    entity=ann.norm.verbatim(e.start, e.end),
                    entity_type="PERSON" if e.label == "PERSON" else "ORG",
                    tie=act.tie,
                    reason=act.reason,
                    evidence=evidence,
                    confidence=0.8,
                    entity_id=e.entity_id,
                    sentence_index=si,
                    explain={"language": "zh", "trigger": act.explain["trigger"], "structure": "next-sentence"},
                )
            )
        return out

    def _list_includes(self, ann: ZhAnnotated, si: int) -> list[Finding]:
        """ "1260H清单中包括 A、B" / "实体清单上还有 C": a list said to hold names (membership stated
        by a copula, as in "the list, which included Huawei"), unless hedged."""
        t = ann.norm.text
        ss, se = ann.sentences[si]
        out: list[Finding] = []
        for lst in [e for e in ann.near(ss, se) if e.label == "LIST" and ss <= e.start and e.end <= se]:
            m = LIST_INCLUDES.match(t, lst.end, se)
            if m is None:
                continue
            reason = lst.reason or self._list_in_context(ann, si) or self._issuer(t, ss, se, ann)
            cs, ce = self._clause(t, ss, se, lst.start)
            if reason is None or self._hedged(ann, cs, lst.start):
                continue
            evidence = ann.norm.verbatim(ss, se).strip()
            for e in self._candidates(ann, m.end(), ce, listing=True):
                if self._is_government(e):
                    continue
                out.append(
                    Finding(
                        entity=ann.norm.verbatim(e.start, e.end),
                        entity_type="PERSON" if e.label == "PERSON" else "ORG",
                        tie="blacklist",
                        reason=reason,
                        evidence=evidence,
                        confidence=0.8,
                        entity_id=e.entity_id,
                        sentence_index=si,
                        explain={"language": "zh", "trigger": m.group().strip(), "structure": "list-includes"},
                    )
                )
        return out

    def _honours_heading(self, ann: ZhAnnotated, ss: int, se: int) -> list[tuple[int, int, str]]:
        """ "…建设者名单如下:" / "…获奖名单:" / "…拟表彰对象公示": a heading naming an honour (or, when it
        ends in ":" or names a 公示, following one named in the title or the sentences before), its
        recipients on the lines after it (read as the honour's lead-in)."""
        t = ann.norm.text
        line = t[ss:se].rstrip()
        colon = line.endswith(":")
        body = line.rstrip(":").rstrip()
        tail = next((h for h in HEADING_TAILS if body.endswith(h)), None)
        if tail is not None:
            m = ss + len(body) - len(tail)
        elif colon:  # "…名单如下(按姓氏笔画为序):"
            at = max(line.rfind("名单"), line.rfind("如下"))
            if at < 0:
                return []
            m, tail = ss + at, line[at : at + 2]
        else:
            return []
        explicit = colon or "公示" in tail or "如下" in tail
        if not ann.in_range(ss, m, ("AWARD",)) and not (explicit and self._award_in_context(ann, ss)):
            return []
        return [(m, m + len(tail), "名单")]

    def _award_in_context(self, ann: ZhAnnotated, ss: int) -> ZhEnt | None:
        """The last honour named in the three sentences before ``ss``, else in the title."""
        k = ann.sentence_at(ss)
        for j in [*range(k - 1, max(-1, k - 4), -1), 0]:
            if 0 <= j < len(ann.sentences) and j != k:
                s, e = ann.sentences[j]
                named = [x for x in ann.near(s, e) if x.label == "AWARD" and x.reason and s <= x.start < e]
                if named:
                    return named[-1]
        return None

    def _trigger_ok(self, ann: ZhAnnotated, i: int, j: int, word: str) -> bool:
        t = ann.norm.text
        kind = self.kinds[word]
        if kind == "sanction" and self._lifted(t, i):
            return False  # "解除对X的制裁": the removal's trigger decides
        if kind == "delisting" and word in SANCTIONS_ONLY and not self._lifts_sanctions(t, j):
            return False  # 取消, 终止 …: a removal only of sanctions ("取消对X的制裁")
        if self.kinds[word] == "award_object" and word == "表彰" and t.startswith(AWARD_EVENT, j):
            return False
        if word == "列":  # 列 alone: only right before the list ("列未经核实出口管制清单")
            return is_word(t, i, j) and any(e.label == "LIST" and j <= e.start <= j + 8 for e in ann.near(j, j + 9))
        if len(word) == 1:  # 获 alone: only right before an honour (获全国五一劳动奖章, 获此殊荣)
            return t.startswith(ANAPHORIC_AWARD, j) or any(
                e.label == "AWARD" and j <= e.start <= j + 3 for e in ann.near(j, j + 4)
            )
        return True

    def _lifted(self, t: str, i: int) -> bool:
        """Is the 制裁 at ``i`` the object of a lifting verb in its comma chunk ("解除对X的制裁")?"""
        lo = max(t.rfind(c, 0, i) for c in ",;:。!?\n") + 1
        return any(t.find(w, lo, i) >= 0 for w in LIFTING)

    def _lifts_sanctions(self, t: str, j: int) -> bool:
        """Does a lifting verb ending at ``j`` take sanctions as its object (制裁 in its chunk)?"""
        hi = (
            min(c for c in (t.find(x, j) for x in ",;:。!?\n") if c >= 0)
            if any(t.find(x, j) >= 0 for x in ",;:。!?\n")
            else len(t)
        )
        return t.find("制裁", j, hi) >= 0

    # -- one trigger ------------------------------------------------------------------------

    def _at_trigger(self, ann: ZhAnnotated, si: int, ss: int, se: int, ts: int, te: int, word: str) -> list[Finding]:
        t = ann.norm.text
        kind = self.kinds.get(word, "award_heading")
        cs, ce = self._clause(t, ss, se, ts)
        if self._hedged(ann, cs, ts, heading=kind == "award_heading"):
            return []
        reason, reason_from, reason_ent = self._reason(ann, si, kind, cs, ce, ss, se, ts, te)
        if reason is None:
            return []
        tie: Tie = "award" if kind.startswith("award") else "delisting" if kind == "delisting" else "blacklist"
        if t[ts:te] not in ANNULLING and self._noun_phrase(t, te, ce, reason_ent):
            return []  # (撤销…的决定: the decision annulled is the object, not a noun phrase's act)
        direct, structure = self._targets(ann, kind, cs, ce, ts, te, reason_ent)
        targets = [(e, structure) for e in direct]
        colon = t.find(":", te, ce)
        if colon >= 0 and structure not in ("relative-list",) and t[colon + 1 : ce].strip():
            # "…列入实体清单: A、B、C。": the names after the colon
            hi = self._colon_end(ann, ce, se)
            for a, b in [(colon + 1, ce)] + [(x + 1, y) for x, y in _semicolon_pieces(t, ce, hi)]:
                targets += [(e, "colon-list") for e in self._candidates(ann, a, b, listing=tie != "award")]
        targets += [(e, "continuation") for e in self._continued(ann, ce, te, cs, listing=tie != "award")]
        if structure in ("heading", "relative-list") or (
            structure != "relative" and (t[cs:ce].rstrip().endswith(":") or t[ss:se].rstrip().endswith(":"))
        ):
            targets += [(e, "lead-in") for e in self._lead_in(ann, si)]
        evidence = ann.norm.verbatim(ss, se).strip()
        out: list[Finding] = []
        seen: set[int] = set()
        base = 0.9 if reason_from in ("clause", "sentence") else 0.8
        for e, how in targets:
            if id(e) in seen:
                continue
            seen.add(id(e))
            if tie != "award" and self._is_government(e):
                continue
            shape = 0.95 if e.how == "enumeration" else 1.0
            conf = base * shape * (0.95 if how in ("continuation", "lead-in") else 1.0)
            explain = {
                "language": "zh",
                "trigger": word,
                "structure": how,
                "reason_from": reason_from,
                "entity_shape": e.how,
                "roles": e.roles,
                "confidence": {"reason": base, "entity": shape},
            }
            entity = ann.norm.verbatim(e.start, e.end)
            out.append(
                Finding(
                    entity=entity,
                    entity_type="PERSON" if e.label == "PERSON" else "ORG",
                    tie=tie,
                    reason=reason,
                    evidence=evidence,
                    confidence=round(conf, 3),
                    entity_id=e.entity_id,
                    sentence_index=si,
                    explain=explain,
                )
            )
            if tie == "award" and e.label == "PERSON" and e.leader and e.employer is not None:
                emp = e.employer
                out.append(
                    Finding(
                        entity=ann.norm.verbatim(emp.start, emp.end),
                        entity_type="ORG",
                        tie=tie,
                        reason=reason,
                        evidence=evidence,
                        via=entity,
                        confidence=round(conf * 0.9, 3),
                        entity_id=emp.entity_id,
                        sentence_index=si,
                        explain={**explain, "propagated_from": entity, "role": e.roles[-1]},
                    )
                )
        # "荣获全国五一劳动奖章、全国劳动模范等荣誉": one finding per honour named in a row
        for other in self._more_honours(ann, reason_ent, ce) if tie == "award" else []:
            out += [dataclasses.replace(f, reason=other, explain={**f.explain}) for f in out if f.reason == reason]
        return out

    def _more_honours(self, ann: ZhAnnotated, first: ZhEnt | None, ce: int) -> list[str]:
        """The reasons of honours that follow ``first`` joined by 、/和/及 in its clause."""
        if first is None:
            return []
        t = ann.norm.text
        out: list[str] = []
        last = first
        for e in [x for x in ann.near(first.end, ce) if x.label == "AWARD" and x.start >= first.end and x.reason]:
            gap = t[last.end : e.start].strip("”\"'」』“「 ")
            if gap not in ("、", "和", "及", "以及", "与"):
                break
            if e.reason and e.reason not in out and e.reason != first.reason:
                out.append(e.reason)
            last = e
        return out

    def _noun_phrase(self, t: str, te: int, ce: int, reason_ent: ZhEnt | None) -> bool:
        """ "将小米认定为中国军事企业的决定(缺乏依据)": the act only as a noun phrase, stated by no clause."""
        after = reason_ent.end if reason_ent is not None and reason_ent.start >= te else te
        return t.startswith(tuple("的" + n for n in ACT_NOUNS), after)

    def _clause(self, t: str, ss: int, se: int, ts: int) -> tuple[int, int]:
        cs = t.rfind(";", ss, ts)
        cs = ss if cs < 0 else cs + 1
        ce = t.find(";", ts, se)
        return cs, se if ce < 0 else ce

    def _hedged(self, ann: ZhAnnotated, cs: int, ts: int, heading: bool = False) -> bool:
        t = ann.norm.text
        chunks = _chunks(t, cs, ts)
        scope_start = chunks[-2][0] if len(chunks) >= 2 else chunks[-1][0]
        names = [e for e in ann.near(scope_start, ts) if e.label in ("ORG", "PERSON")]
        for h in self.lex.hedges:
            i = t.find(h, scope_start, ts)
            while i >= 0:
                word = len(h) > 1 or at_boundary(t, i)  # 拟|将 yes, 李若兰 no
                if heading and t.startswith(PROPOSED, i):
                    word = False  # "拟表彰对象公示": the published list of those to be honoured
                if word and not any(e.start <= i < e.end for e in names):  # 新希望集团 hedges nothing
                    return True
                i = t.find(h, i + 1, ts)
        for n in NEGATIONS:
            i = t.find(n, max(cs, ts - 3), ts)
            if i >= 0 and (is_word(t, i, i + 1) or t.startswith(n, ts - 1) or t.startswith(n + "被", i)):
                return True
        return False

    def _reason(
        self, ann: ZhAnnotated, si: int, kind: str, cs: int, ce: int, ss: int, se: int, ts: int, te: int
    ) -> tuple[str | None, str, ZhEnt | None]:
        t = ann.norm.text
        if kind.startswith("award"):
            awards = [e for e in ann.near(ann.sentences[max(0, si - 3)][0], se) if e.label == "AWARD"]
            if t.startswith(ANAPHORIC_AWARD, te) or t.startswith(ANAPHORIC_AWARD, te + 1):
                for k in range(si - 1, max(-1, si - 4), -1):
                    s, e_ = ann.sentences[k]
                    earlier = [e for e in awards if s <= e.start < e_]
                    if earlier:
                        return earlier[-1].reason, "context", None
            for lo, hi, where in ((te, ce, "clause"), (te, se, "sentence"), (cs, ts, "clause")):
                inside = [e for e in awards if lo <= e.start and e.end <= hi]
                if inside:
                    e = inside[0] if lo >= te else inside[-1]
                    return e.reason, where, e
            if kind == "award_heading" or t.startswith(CONTEXT_AWARD_TRIGGERS, ts):
                earlier = [e for e in awards if e.end <= ss and e.reason]
                if earlier:
                    return earlier[-1].reason, "context", None
                title = self._award_in_context(ann, ss)
                if title is not None:
                    return title.reason, "context", None
            return None, "", None
        lists = [e for e in ann.near(cs, ce) if e.label == "LIST" and not (e.start <= ts and te <= e.end)]
        if kind == "sanction" and t[ts:te] != "制裁":  # 采取反制措施: the act names its own list
            own = next((e for e in ann.near(ts, te) if e.label == "LIST" and e.start <= ts and te <= e.end), None)
            if own is not None and own.reason:
                return own.reason, "clause", None
        after = [e for e in lists if te <= e.start and e.end <= ce]
        before = [e for e in lists if cs <= e.start and e.end <= ts]
        named = after[0] if after else before[-1] if before else None
        if named is None and kind in ("sanction", "delisting") and "制裁" in t[cs:ce]:
            if kind == "delisting" and "制裁" not in t[te:ce]:
                return None, "", None
            issuer = self._issuer(t, ss, se, ann)
            return issuer or "sanctions", "issuer" if issuer else "trigger", None
        if named is None and (RELATIVE_LIST.match(t, te + 1, ce) if t.startswith("的", te) else None) is not None:
            context = self._list_in_context(ann, si)  # "…列入实体清单。被列入的实体包括:"
            if context:
                return context, "context", None
        if named is None:
            return None, "", None
        if named.reason:
            return named.reason, "clause", named
        context = self._list_in_context(ann, si)
        if context:
            return context, "context", named
        issuer = self._issuer(t, ss, se)
        if issuer:
            return issuer, "issuer", named
        return None, "", None

    def _list_in_context(self, ann: ZhAnnotated, si: int) -> str | None:
        """The list named in the same sentence, the three before, or the first line (the title)."""
        ss, se = ann.sentences[si]
        candidates = [e for e in ann.near(ss, se) if e.label == "LIST" and e.reason and ss <= e.start < se]
        if candidates:
            return candidates[-1].reason
        for k in range(si - 1, max(-1, si - 4), -1):
            s, e_ = ann.sentences[k]
            named = [e for e in ann.near(s, e_) if e.label == "LIST" and e.reason and s <= e.start < e_]
            if named:
                return named[-1].reason
        if ann.sentences:
            s, e_ = ann.sentences[0]
            named = [e for e in ann.near(s, e_) if e.label == "LIST" and e.reason and s <= e.start < e_]
            if named:
                return named[-1].reason
        return None

    def _issuer(self, t: str, ss: int, se: int, ann: ZhAnnotated | None = None) -> str | None:
        """The list of the issuer named in the sentence (with ``ann``: else in the two before)."""
        spans = [(ss, se)]
        if ann is not None:
            k = ann.sentence_at(ss)
            spans += [ann.sentences[j] for j in range(k - 1, max(-1, k - 3), -1)]
        for a, b in spans:
            sent = t[a:b]
            for alias, reason in self.issuers:
                if alias in sent:
                    return reason
        return None

    def _is_government(self, e: ZhEnt) -> bool:
        """The list's issuer or a government ("美国商务部工业与安全局", "联邦地区法院"): never its target."""
        return e.label == "ORG" and (
            e.text in self.issuer_names or e.text.endswith((*GOVERNMENT_TAILS, *self.issuer_suffixes))
        )

    # -- targets ----------------------------------------------------------------------------

    def _candidates(self, ann: ZhAnnotated, lo: int, hi: int, listing: bool = False) -> list[ZhEnt]:
        """Names in ``[lo, hi)`` that head their phrase: not a person's employer ("…公司董事长X"), not
        an organisation modifying what follows ("渔政总队“中国海警3111”船政委X"). A slot with no
        name recognised elsewhere is read item by item (:meth:`ChineseNlp.slot_names`)."""
        t = ann.norm.text
        ents = ann.in_range(lo, hi)
        # a Latin name whose legal tail the slot's end cut at its comma ("Luxra Optics Co.|, Ltd.")
        ents += [e for e in ann.near(lo, hi) if e.how == "latin" and lo <= e.start < hi < e.end]
        ents.sort(key=lambda e: e.start)
        if not ents and hi > lo:
            taken = ann.near(lo, hi)
            ents = [
                e for e in self.nlp.slot_names(t, lo, hi, listing) if not any(x.overlaps(e.start, e.end) for x in taken)
            ]
            ann.add(ents)
        elif ents:
            # an item of the same enumeration that no shape or role gave ("A有限公司、B有限公司和李建国")
            extra: list[ZhEnt] = []
            edges = [*(e.end for e in ents)]
            nexts = [*(e.start for e in ents[1:]), hi]
            before = LATIN_LEGAL_COMMA.sub(" ", t[lo : ents[0].start]).rstrip("“\"'「『(")
            if re.search("[、和与及]", before) and not any(c in before for c in ",;:。"):
                edges.insert(0, lo)  # "DJI(大疆)、禾赛科技": items before the first name recognised
                nexts.insert(0, ents[0].start)
            for a, b in zip(edges, nexts, strict=True):
                gap = LATIN_LEGAL_COMMA.sub(" ", t[a:b]).lstrip("”\"'」』")
                if a == lo and b == ents[0].start:
                    gap = "、" + gap
                if len(gap) >= 3 and gap.startswith(ENUMERATORS) and not any(c in gap for c in ",;:。"):
                    taken = ann.near(a, b)
                    extra += [
                        e
                        for e in self.nlp.slot_names(t, a, b, listing, siblings=len(ents))
                        if not any(x.overlaps(e.start, e.end) for x in taken)
                    ]
            if extra:
                ann.add(extra)
                ents = ann.in_range(lo, hi)
        employers = {id(e.employer) for e in ents if e.label == "PERSON" and e.employer is not None}
        out: list[ZhEnt] = []
        for e in ents:
            if id(e) in employers:
                continue
            if out and out[-1].end + 1 == e.start and t[out[-1].end] == "(":
                continue  # "DJI(大疆)", "海岳通信集团(Haiyue …)": the same one, named again
            if e.label == "ORG" and e.end < hi:
                rest = t[e.end : hi].lstrip()
                if rest.startswith("的") and rest[1:].lstrip(DIGITS).startswith(PARTS):
                    continue  # "将X的两家子公司列入": X's units are listed, not X
                if rest and not (
                    rest[0] in HEAD_FOLLOWERS
                    or rest.startswith(HEAD_FOLLOWER_WORDS)
                    or rest in LIGHT_VERBS
                    or TIME_AFTER.match(rest)  # "华为2019年被…", "华为此前被…"
                    or COUNT_AFTER.match(rest)  # "A、B两家公司": the count of what was named
                ):
                    continue
            out.append(e)
        return out

    def _targets(
        self, ann: ZhAnnotated, kind: str, cs: int, ce: int, ts: int, te: int, reason_ent: ZhEnt | None
    ) -> tuple[list[ZhEnt], str]:
        t = ann.norm.text
        if kind == "delisting" and t[ts:te] in ANNULLING:  # 撤销(国防部)将 X 列为…的决定: X is taken off
            inner = next((i for i in range(te, ce) if t[i] in BA), None)
            listed = next((i for i in range(inner or ce, ce) if t.startswith(LISTING_VERBS, i)), None)
            if inner is not None and listed is not None:
                return self._candidates(ann, inner + 1, listed, listing=True), "annulled"
        # relative: 列入清单的 X / 荣获…称号的 X
        after_reason = reason_ent.end if reason_ent is not None else -1
        if reason_ent is not None and reason_ent.label == "AWARD":
            noun = self.nlp._word_at(t, after_reason, self.nlp.award_nouns)  # "全国劳动模范|称号|的"
            after_reason += len(noun) if noun else 0
        if reason_ent is not None and reason_ent.start >= te and t.startswith("的", after_reason):
            if after_reason != reason_ent.end:  # 获得…称号的同事们: the recipients are what follows
                nxt = [e for e in ann.in_range(after_reason + 1, ce) if e.start <= after_reason + 3]
                return nxt[:1], "relative"
            nxt = [e for e in ann.in_range(reason_ent.end + 1, ce) if e.start <= reason_ent.end + 3]
            if nxt:
                return nxt[:1], "relative"
            m = RELATIVE_LIST.match(t, reason_ent.end + 1, ce)  # 列入清单的中国企业包括: A、B
            if m is not None:
                return self._candidates(ann, m.end(), ce, listing=kind != "award_subject"), "relative-list"
            return [], "relative"
        if kind == "award_heading":
            return [], "heading"
        if (
            kind in ("blacklist", "sanction", "delisting") or t.startswith(CONTEXT_AWARD_TRIGGERS, ts)
        ) and t.startswith("的", te):
            m = RELATIVE_LIST.match(t, te + 1, ce)  # 被制裁的公司分别为 A、B / 被列入的实体包括: …
            if m is not None:
                return self._candidates(ann, m.end(), ce, listing=True), "relative-list"
            if kind == "sanction":  # 受到美国制裁的中兴通讯: the one the relative clause describes
                nxt = [e for e in ann.in_range(te + 1, ce) if e.start <= te + 2]
                if nxt:
                    return nxt[:1], "relative"
        if kind == "award_object":
            b = max((t.rfind(m, cs, ts) for m in GIVER_MARKERS), default=-1)
            if b >= 0 and not t.startswith(("为了", "为其", "为此"), b):
                return self._candidates(ann, b + 1, ts), "object"
            hi = reason_ent.start if reason_ent is not None and reason_ent.start >= te else ce
            return self._candidates(ann, te, hi), "object"
        if kind.startswith("award"):
            start = self._subject_start(t, cs, ts)
            if ANAPHORIC_SUBJECT.search(t, start, ts):
                return self._previous_names(ann, start), "anaphor"
            return self._candidates(ann, start, ts), "subject"
        ba = self._ba(t, cs, ts)
        if ba is not None:
            hi = ts
            frm = t.find("从", ba, ts)
            while frm > ba and (
                any(e.start < frm < e.end for e in ann.in_range(ba, ts)) or not ann.in_range(frm, ts, ("LIST",))
            ):
                frm = t.find("从", frm + 1, ts)  # "云从科技": a name's character, not 将X从清单中移除
            if frm > ba:
                hi = frm
            if t[ba + 1 : hi].lstrip().startswith(FORWARD):  # 将以下实体列入: the names come after
                return [], "forward"
            if t[ba + 1 : hi].lstrip().startswith(ANAPHORS):  # 将其 / 将这些企业 列入: what was named before
                return self._antecedent(ann, cs, ba), "anaphor"
            return self._candidates(ann, ba + 1, hi, listing=True), "ba"
        bei = max(t.rfind("被", cs, ts), t.rfind("遭", cs, ts))  # X被/遭美国列入…
        if bei >= 0:
            start = self._subject_start(t, cs, bei)
            if ANAPHORIC_SUBJECT.search(t, start, bei):
                return self._previous_names(ann, start), "anaphor"
            return self._candidates(ann, start, bei), "passive"
        if kind == "sanction":
            suffered = max((t.rfind(w, max(cs, ts - 10), ts) for w in SUFFERED), default=-1)
            if suffered >= 0:  # X 遭到(美国财政部)制裁
                return self._candidates(ann, cs, suffered), "passive"
            dui = t.rfind("对", cs, ts)
            if dui >= 0:  # 对 X 实施制裁
                return self._candidates(ann, dui + 1, ts, listing=True), "object"
            return self._candidates(ann, te, ce, listing=True)[:8], "object"
        if kind == "delisting" and self._lifts_sanctions(t, te):  # 解除对 X 的制裁
            dui = t.find("对", te, ce)
            end = t.find("制裁", te, ce)
            if 0 <= dui < end:
                return self._candidates(ann, dui + 1, end, listing=True), "object"
        if reason_ent is not None and reason_ent.end <= ts:  # 清单新增 X / 名单中增列 X: the list is the subject
            return self._candidates(ann, te, ce, listing=True), "object"
        return self._candidates(ann, cs, ts), "subject"

    def _subject_start(self, t: str, cs: int, ts: int) -> int:
        """Where the subject of a trigger at ``ts`` can start: after the last comma chunk before its
        own that states an act of its own ("刘青禾被授予…称号，王海岳获评…": 获评's subject is 王海岳)."""
        start = cs
        for a, b in _chunks(t, cs, ts)[:-1]:
            if any(t.find(w, a, b) >= 0 for w in self.words if len(w) > 1):
                start = b + 1
            elif t[a:b].rstrip().endswith(SPEECH_VERBS):
                start = b + 1  # "张明远表示，获得…称号的同事们…": what follows is what he said
        return start

    def _previous_names(self, ann: ZhAnnotated, start: int) -> list[ZhEnt]:
        """The names a plural anaphor ("上述企业", "这些公司", "以上人员") takes up: those heading their
        phrase in the sentence before ``start``'s (lines of a list before it: back to their lead-in)."""
        k = ann.sentence_at(start)
        out: list[ZhEnt] = []
        for j in range(k - 1, max(-1, k - 30), -1):
            s, e = ann.sentences[j]
            found = [x for x in self._candidates(ann, s, e) if not self._is_government(x)]
            out = found + out
            line = ann.norm.text[s:e]
            if not (ITEM_MARKER.match(line) or len(line.strip()) <= 30 and found) or j == k - 1 and not found:
                break
        return out

    def _antecedent(self, ann: ZhAnnotated, cs: int, ba: int) -> list[ZhEnt]:
        """What 其 (这些企业 …) of "将其列入/移出" names: the names heading their phrase before it in the
        clause, else the last organisation or person named before it (this sentence or the two
        before), not a government body ("国防部将海岳通信集团列入清单的决定…，法院判决将其移除")."""
        found = [e for e in self._candidates(ann, cs, ba) if not self._is_government(e)]
        if found:
            return found
        k = ann.sentence_at(cs)
        lo = ann.sentences[max(0, k - 2)][0] if ann.sentences else cs
        employers = {id(e.employer) for e in ann.in_range(lo, ba) if e.employer is not None}
        named = [e for e in ann.in_range(lo, ba) if not self._is_government(e) and id(e) not in employers]
        return named[-1:]

    def _ba(self, t: str, cs: int, ts: int) -> int | None:
        """The 将/把 of a 将 X 列入 construction before the trigger (not 将会, 将于 …), if no other
        verb of the rules stands between them."""
        p = ts
        while p > cs:
            p = max(t.rfind(b, cs, p) for b in BA)
            if p < 0:
                return None
            if t.startswith(NOT_BA, p) or (p > 0 and t[p - 1] in "即或必恐终"):
                continue
            between = t[p + 1 : ts]
            if any(w in between for w in self.words if len(w) > 1):
                return None
            return p
        return None

    def _continued(self, ann: ZhAnnotated, ce: int, te: int, cs: int, listing: bool = False) -> list[ZhEnt]:
        """ "…, 包括 X、Y" / "…, 其中包含 X" after the trigger's chunk continue the act."""
        t = ann.norm.text
        out: list[ZhEnt] = []
        chunks = [c for c in _chunks(t, cs, ce) if c[0] >= te]
        on = False
        for s, e in chunks:
            head = t[s:e].lstrip()
            lead = len(t[s:e]) - len(head)
            if head.startswith(CONTINUATIONS) or head.startswith("有") and t[s - 2 : s - 1] == "中":
                on = True  # "…, 包括 X" / "在上榜名单中, 有 X"
            elif on and not any(w in head for w in self.words):
                pass
            else:
                on = False
            if on:
                word = next((c for c in (*CONTINUATIONS, "有") if head.startswith(c)), "")
                out += self._candidates(ann, s + lead + len(word), e, listing=listing)
        return out

    def _lead_in(self, ann: ZhAnnotated, si: int) -> list[ZhEnt]:
        """Names in the lines after a lead-in ending in ":": short lines (until a line with its own
        trigger), or items opened by a number or a bullet ("1. X: 该机构…", "(二) Y", "• Z"), whose
        name is the one each opens with, however long the item goes on."""
        t = ann.norm.text
        out: list[ZhEnt] = []
        items = False
        quiet = 0
        for s, e in ann.sentences[si + 1 : si + 60]:
            line = t[s:e]
            at_line_start = s == 0 or t[s - 1] == "\n" or not t[ann.sentences[si][1] : s].strip()
            m = ITEM_MARKER.match(t, s, e) if at_line_start else None
            if m is not None:
                items = True
                stop = next((i for i in range(m.end(), e) if t[i] in ITEM_NAME_END), e)
                heads = [x for x in self._candidates(ann, m.end(), stop) if x.start - m.end() <= 2]
                out += heads[:1] if stop == e else heads
                continue
            if items:
                if at_line_start:
                    break  # the items are over
                continue  # the rest of an item
            if any(w in line for w in self.words if len(w) > 1):
                break  # a line with an act of its own
            if FIELD_LABEL.match(line):
                quiet += 1  # an entry's field ("许可要求: ..."): the list goes on
                if quiet > MAX_QUIET_LINES:
                    break
                continue
            if len(BRACKETED.sub("", line).strip()) > 80:
                # a long line: an entry that opens with its name (then an address, a licence ...)
                opening = [x for x in ann.in_range(s, e) if not t[s : x.start].strip()] if at_line_start else []
                if not opening:
                    break
                out.append(opening[0])
                quiet = 0
                continue
            found = self._candidates(ann, s, e)
            if not found and len(line.strip()) <= 6:
                quiet += 1  # a heading ("中国")
                if quiet > MAX_QUIET_LINES:
                    break
                continue
            quiet = 0
            out += found
        return out

    def _colon_end(self, ann: ZhAnnotated, ce: int, se: int) -> int:
        """Where the names after a colon end: the clause, or further over items cut by ";" that state
        no act of their own ("列入实体清单: (1)A; (2)B; (3)C。")."""
        t = ann.norm.text
        end = ce
        while end < se and t[end] == ";":
            nxt = t.find(";", end + 1, se)
            nxt = se if nxt < 0 else nxt
            piece = t[end + 1 : nxt]
            if len(BRACKETED.sub("", piece).strip()) > 60 or any(w in piece for w in self.words if len(w) > 1):
                break
            end = nxt
        return end


# an entry's field after a lead-in ("许可要求: ...", "地址: ...", "审查政策: ..."), no name
FIELD_LABEL = re.compile(r"\s*[\u4e00-\u9fff]{2,6}\s*[:：]")


def detect_ties_zh(ann: ZhAnnotated, nlp: ChineseNlp) -> list[Finding]:
    """Findings of one annotated Chinese article (builds the rules; :class:`ChineseTies` keeps them)."""
    return ChineseTies(nlp)(ann)
