"""A virtual clock and battery: deterministic time and power for tests and replays.

URL format::

    virtual://clock[?at=2025-01-01T09:30:00+08:00]    starts at ``at`` (default: that instant)
    virtual://battery[?level=80&charging=0&mains=1]

Support table:

| device  | test-side API                                  | reports                           |
|---------|------------------------------------------------|-----------------------------------|
| clock   | ``set(datetime)``, ``advance(seconds)``        | ``now()``, ``monotonic()``        |
| battery | ``set(level_pct, charging=, on_mains=)``        | ``status()``                      |
"""

from __future__ import annotations

import datetime as dt
import threading

from drivers.base import PowerStatus

__all__ = ["DEFAULT_START", "VirtualBattery", "VirtualClock"]

DEFAULT_START = dt.datetime(2025, 1, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class VirtualClock:
    """``virtual://clock``: time moves only when the test says so."""

    def __init__(self, start: dt.datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a timezone-aware start")
        self._now = start
        self._mono = 1000.0
        self._lock = threading.Lock()

    def set(self, when: dt.datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("timezone-aware datetimes only")
        with self._lock:
            self._now = when

    def advance(self, seconds: float) -> None:
        """Move wall and monotonic time forward.

        >>> c = VirtualClock(); c.advance(90); c.now().strftime("%H:%M:%S")
        '09:31:30'
        """
        if seconds < 0:
            raise ValueError("time does not go backwards")
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono


class VirtualBattery:
    """``virtual://battery``."""

    def __init__(self, level_pct: int | None = 100, charging: bool = False, on_mains: bool = True) -> None:
        self._status = PowerStatus(level_pct, charging, on_mains)

    def set(self, level_pct: int | None, charging: bool = False, on_mains: bool = False) -> None:
        if level_pct is not None and not 0 <= level_pct <= 100:
            raise ValueError("battery level is 0-100 %")
        self._status = PowerStatus(level_pct, charging, on_mains)

    def status(self) -> PowerStatus:
        return self._status
