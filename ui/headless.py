"""The headless face: a display that records every screen and a keypad fed by a script or a test.

Used by ``posemu scenario``, the tests and HIL rigs. Printing is optional (``echo=True`` writes each
screen to stdout in the chosen language), which is what ``make run`` shows.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import TextIO

from ui.base import KEYS, Screen

__all__ = ["HeadlessDisplay", "ScriptedKeypad"]


class HeadlessDisplay:
    """Keeps the screens shown, in order; optionally prints them."""

    def __init__(self, echo: bool = False, language: str = "en", out: TextIO | None = None) -> None:
        self.screens: list[Screen] = []
        self.echo = echo
        self.language = language
        self.out = out or sys.stdout

    def show(self, screen: Screen) -> None:
        previous = self.screens[-1] if self.screens else None
        self.screens.append(screen)
        # printing: every new screen, and a screen that changed its lines, not each key typed into it
        same = previous is not None and (previous.id, previous.lines) == (screen.id, screen.lines)
        if self.echo and not same:
            lines = screen.text(self.language)
            width = max(24, *(len(line) for line in lines))
            print(f"+-- {screen.id} " + "-" * max(0, width - len(screen.id) - 3) + "+", file=self.out)
            for line in lines:
                print(f"| {line.ljust(width)} |", file=self.out)
            print("+" + "-" * (width + 2) + "+", file=self.out)

    @property
    def current(self) -> Screen | None:
        return self.screens[-1] if self.screens else None

    def ids(self) -> list[str]:
        return [s.id for s in self.screens]


class ScriptedKeypad:
    """Keys pressed by a script: ``press("1", "2", "OK")`` or ``type_text("1234")`` then ``OK``."""

    def __init__(self) -> None:
        self._keys: deque[str] = deque()

    def press(self, *keys: str) -> None:
        for key in keys:
            if key not in KEYS:
                raise ValueError(f"no such key {key!r}")
            self._keys.append(key)

    def type_text(self, digits: str) -> None:
        self.press(*digits)

    def read_key(self, timeout_s: float) -> str | None:
        return self._keys.popleft() if self._keys else None

    def pending(self) -> int:
        return len(self._keys)
