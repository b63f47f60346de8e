"""Progress bars on stderr for people at a terminal: imports, deliveries, crawls.

A bar is drawn only when stderr is a terminal (and ``TERM`` is not ``dumb``): piped or redirected
output, CI logs and ``CliRunner`` see nothing of it, so what tools read stays as it was. One line,
redrawn in place at most ten times a second: the label, a bar and ``done/total`` with the percent
when the total is known, the rate per second and the time left; counts by outcome after it
(``stored 40 failed 2``). Lines printed through :meth:`Progress.note` appear above the bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")

WIDTH = 24  # characters of the bar itself
REDRAW_EVERY = 0.1  # seconds between redraws


def stderr_is_terminal(stream: IO[str] | None = None) -> bool:
    """True when ``stream`` (default stderr) is a terminal a person reads."""
    stream = stream or sys.stderr
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


class Progress:
    """One progress line on a terminal; does nothing (but count) when ``enabled`` is false."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "items",
        stream: IO[str] | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = stderr_is_terminal(self.stream) if enabled is None else enabled
        self.done = 0
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._shown = False

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, n: int = 1, outcome: str | None = None) -> None:
        """``n`` more done (counted under ``outcome`` when given)."""
        self.done += n
        if outcome:
            self.counts[outcome] += n
        self._draw()

    def iterate(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, advancing once after each."""
        for item in items:
            yield item
            self.advance()

    def note(self, line: str) -> None:
        """Print ``line`` on its own (above the bar when one is shown)."""
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
        self.stream.write(line + "\n")
        if self.enabled:
            self._draw(force=True)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False

    def line(self) -> str:
        """The progress line as text (what is drawn)."""
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        parts = [self.label]
        if self.total:
            filled = min(WIDTH, round(WIDTH * self.done / self.total))
            parts.append("[" + "#" * filled + "-" * (WIDTH - filled) + "]")
            parts.append(f"{self.done}/{self.total} {self.unit} ({100 * self.done // self.total}%)")
        else:
            parts.append(f"{self.done} {self.unit}")
        parts.append(f"{rate:.1f}/s")
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f"eta {format_seconds((self.total - self.done) / rate)}")
        else:
            parts.append(format_seconds(elapsed))
        if self.counts:
            parts.append(" ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))
        return "  ".join(parts)

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < REDRAW_EVERY and (self.total is None or self.done < self.total):
            return
        self._drawn_at = now
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()
        self._shown = True


def format_seconds(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"
