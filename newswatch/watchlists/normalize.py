"""Name normalization, done once per name: the same function feeds the index and the queries.

``normalize_name("XIAOMI CORP.") == normalize_name("Xiaomi Corporation") == "xiaomi"`` and
``normalize_name("小米集团") == normalize_name("小米") == "xiao mi"``:

1. Unicode NFKC (full-width letters, ligatures) and case folding;
2. legal forms removed in any position and language: first rigour's org types
   (``rigour.names.remove_org_types``: "PUBLIC JOINT STOCK COMPANY", "PJSC", "S.A. de C.V.",
   "Co., Ltd.", "Limited Liability Company", "Sp. z o.o.", "Ticaret Limited Sirketi" ... where
   fingerprints left "public" or "de" behind), then ``fingerprints.remove_types`` for what rigour
   keeps as a generic word or does not read in Cyrillic (Corp., Corporation, ООО, ПАО), then CJK
   company suffixes (股份有限公司, 有限公司, 集团 ..., which neither splits from a name written
   without spaces) and the generic trailing "Group"/"Holdings";
3. tokens: runs of letters/digits (punctuation dropped; an apostrophe inside a word is dropped,
   "QA'IDA" -> "qaida", and a possessive "'s" too, "Putin's" -> "putin"), each CJK character its
   own token, transliterated to ASCII with ``normality.ascii_text`` ("Société" -> "societe",
   "华为" -> "hua wei").

Text is tokenized with the same :func:`text_tokens` (offsets kept), so a name matches text on
token boundaries only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import fingerprints
from normality import ascii_text
from rigour.names import remove_org_types

# CJK company suffixes, longest first (fingerprints only knows some of them).
CJK_LEGAL_SUFFIXES = sorted(
    {
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团有限公司",
        "控股有限公司",
        "集团股份有限公司",
        "控股集团",
        "集团公司",
        "控股",
        "集团",
        "公司",
        "株式会社",
        "有限會社",
        "股份有限會社",
        "集團",
    },
    key=len,
    reverse=True,
)
# Generic trailing words that are part of how companies are named but not of who they are.
TRAILING_GENERIC = {"group", "holdings", "holding", "groupe", "gruppe"}

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
APOSTROPHES = "'’ʼ`"
TOKEN_RE = re.compile(rf"[{CJK}]|[^\W_{CJK}]+(?:[{APOSTROPHES}][^\W_{CJK}]+)*")
POSSESSIVE_RE = re.compile(rf"[{APOSTROPHES}]s$", re.IGNORECASE)
POSSESSIVE_WORD_RE = re.compile(rf"(\w\w)[{APOSTROPHES}]s\b", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    """One normalized token of a text with the character offsets of what it was read from."""

    norm: str
    start: int
    end: int
    raw: str


@lru_cache(maxsize=65536)
def norm_token(raw: str) -> str:
    """NFKC + casefold + ASCII transliteration of one raw token (may give several words: "华" -> "hua")."""
    if len(raw) > 3 and POSSESSIVE_RE.search(raw):
        raw = raw[:-2]
    folded = unicodedata.normalize("NFKC", raw).casefold()
    out = ascii_text(folded) or ""
    return " ".join("".join(ch for ch in part if ch.isalnum()) for part in out.split()).strip()


def text_tokens(text: str) -> list[Token]:
    """Tokens of ``text`` with offsets (empty tokens dropped); a transliterated CJK character may
    give a multi-word token ("xiao"), still one token for matching."""
    out = []
    for m in TOKEN_RE.finditer(text):
        norm = norm_token(m.group())
        if norm:
            out.append(Token(norm, m.start(), m.end(), m.group()))
    return out


def _strip_cjk_suffix(text: str) -> str:
    stripped = text.strip()
    for _ in range(3):
        for suffix in CJK_LEGAL_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                stripped = stripped[: -len(suffix)].strip()
                break
        else:
            break
    return stripped


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """The normalized key of a name: legal forms removed, tokens normalized and joined by spaces."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        return ""
    text = POSSESSIVE_WORD_RE.sub(r"\1", text)
    core = _strip_cjk_suffix(text)
    core = remove_org_types(core).strip() or core
    core = fingerprints.remove_types(core) or core
    toks = [t.norm for t in text_tokens(core)]
    while len(toks) > 1 and toks[-1] in TRAILING_GENERIC:
        toks.pop()
    if not toks:  # the name was nothing but a legal form: keep what it says
        toks = [t.norm for t in text_tokens(text)]
    return " ".join(toks)


@lru_cache(maxsize=4096)
def is_legal_form(word: str) -> bool:
    """True for a legal-form word ("Ltd", "Inc.", "GmbH", "有限公司") as it may follow a name in text."""
    w = word.strip()
    if not w:
        return False
    if w in CJK_LEGAL_SUFFIXES:
        return True
    if not w[:1].isupper():
        return False  # in running text legal forms are written Ltd, LTD, Inc., GmbH; "is" is not one
    return (
        normalize_name(f"Acme {w}") == "acme"
        and norm_token(w) not in ("", "acme")
        and norm_token(w) not in TRAILING_GENERIC
    )
