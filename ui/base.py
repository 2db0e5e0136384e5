"""The display and the keypad as devices (ARCHITECTURE.md section 1, "Screens, not widgets").

The firmware publishes a :class:`Screen` on every change: an id tests and HIL rigs assert on, a title and
lines in Chinese (zh_CN, the device default) and English, the input echo (a PIN shown as ``*``), and soft
keys. Faces (headless, TUI, control API) render screens and turn key presses into events; ``ui`` never
imports ``terminal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["KEYS", "Display", "Keypad", "Screen"]

# The keys of a countertop POS keypad: digits, 00, dot, and the function keys.
KEYS = frozenset({*"0123456789", "00", ".", "OK", "CANCEL", "CLEAR", "MENU", "F1", "F2", "F3", "FEED"})


@dataclass(frozen=True)
class Screen:
    """What the terminal shows. ``lines`` are (zh, en) pairs; ``echo`` is the input as displayed."""

    id: str
    title: tuple[str, str]
    lines: tuple[tuple[str, str], ...] = ()
    echo: str = ""
    soft_keys: tuple[str, ...] = ()
    language: str = "zh_CN"
    data: tuple[tuple[str, str], ...] = field(default=())  # machine-readable facts (amount, outcome, ...)

    def text(self, language: str | None = None) -> list[str]:
        """The screen as plain lines in one language (zh_CN or en)."""
        k = 0 if (language or self.language) == "zh_CN" else 1
        out = [self.title[k]]
        out += [line[k] for line in self.lines]
        if self.echo:
            out.append(self.echo)
        if self.soft_keys:
            out.append("  ".join(f"[{key}]" for key in self.soft_keys))
        return out

    def fact(self, key: str) -> str | None:
        return dict(self.data).get(key)


@runtime_checkable
class Display(Protocol):
    """Shows screens."""

    def show(self, screen: Screen) -> None: ...


@runtime_checkable
class Keypad(Protocol):
    """Produces key presses; the terminal polls it (``None``: no key within ``timeout_s``)."""

    def read_key(self, timeout_s: float) -> str | None: ...
