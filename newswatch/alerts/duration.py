"""Durations as people write them in config and on the command line: ``90s``, ``15m``, ``2h``, ``30d``, ``1w``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ..errors import InputError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_SECONDS = 100 * 365 * 86400  # a century: longer than anything newswatch times (and dates stay valid)


def parse_duration(text: str | int | float, what: str = "duration") -> float:
    """Seconds in ``text`` (``"30d"`` -> 2592000.0); a bare number is seconds."""
    if isinstance(text, int | float):
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", str(text))
    if not m:
        raise InputError(f"{what}: {str(text)[:40]!r} is not a duration (use e.g. 90s, 15m, 2h, 30d, 1w)")
    seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    if seconds > MAX_SECONDS:
        raise InputError(f"{what}: {str(text)[:40]!r} is longer than 100 years; give a shorter one")
    return seconds


def iso(ts: float) -> str:
    """UTC ISO-8601 (seconds) for a POSIX time, the format of every *_at column."""
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat()


def from_iso(text: str | None) -> float | None:
    """POSIX time of an ISO-8601 string (None stays None)."""
    if not text:
        return None
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
