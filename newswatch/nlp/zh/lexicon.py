"""The Chinese lexicon (``lexicon_zh.yaml``, bundled in ``newswatch/defaults/``): lists, honours, triggers,
hedges, name shapes.

Every entry is written in simplified characters (traditional text is converted before matching);
``reason`` is the canonical English name the English lexicon uses, so one tie reported in either
language has one reason.
"""

from __future__ import annotations

from pathlib import Path

from ...config import Strict, read_yaml, validate
from .text import to_simplified


class ZhNamed(Strict):
    reason: str
    aliases: list[str] = []
    keywords: list[str] = []


class ZhTriggers(Strict):
    blacklist: list[str] = []
    sanction: list[str] = []
    delisting: list[str] = []
    award_subject: list[str] = []
    award_object: list[str] = []


class ZhLexicon(Strict):
    lists: list[ZhNamed] = []
    list_nouns: list[str] = []
    issuers: dict[str, list[str]] = {}
    awards: list[ZhNamed] = []
    award_nouns: list[str] = []
    triggers: ZhTriggers = ZhTriggers()
    hedges: list[str] = []
    org_suffixes: list[str] = []
    org_generic: list[str] = []
    leader_roles: list[str] = []
    other_roles: list[str] = []
    surnames: str = ""

    def simplified(self) -> ZhLexicon:
        """The same lexicon with every word in simplified characters (a traditional entry still matches)."""
        data = self.model_dump()

        def conv(x: object) -> object:
            if isinstance(x, str):
                return to_simplified(x)  # the English reasons are left as they are
            if isinstance(x, list):
                return [conv(v) for v in x]
            if isinstance(x, dict):
                return {k: conv(v) for k, v in x.items()}
            return x

        return ZhLexicon.model_validate(conv(data))

    def canonical(self, text: str) -> str | None:
        """The reason of the longest list or honour alias ``text`` holds (simplified), or None."""
        best: tuple[int, str] | None = None
        for named in self.lists + self.awards:
            for alias in named.aliases:
                if alias and alias in text and (best is None or len(alias) > best[0]):
                    best = (len(alias), named.reason)
        return best[1] if best else None

    def reasons(self) -> set[str]:
        """Every canonical reason this lexicon can give."""
        return {n.reason for n in self.lists + self.awards} | set(self.issuers)


def load_zh_lexicon(path: Path) -> ZhLexicon:
    """Read and validate ``lexicon_zh.yaml``; entries are converted to simplified characters."""
    return validate(ZhLexicon, read_yaml(path), path).simplified()
