"""The terminal's own clock and power supply (Linux).

URL format::

    clock://system     wall time from the OS, in the local timezone; time.monotonic for timeouts
    power://           the first battery and mains supply under /sys/class/power_supply
    power://BAT1       a named supply

Support table:

| device   | reports                                                         | without hardware            |
|----------|-----------------------------------------------------------------|-----------------------------|
| clock    | ``now()`` (timezone-aware), ``monotonic()``                      | always works                |
| power    | ``capacity`` %, ``status`` Charging, mains ``online``           | ``level_pct=None``, on mains|
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from urllib.parse import SplitResult

from drivers.base import PowerStatus

__all__ = ["SysfsBattery", "SystemClock", "open_battery", "open_clock"]

SYSFS = Path("/sys/class/power_supply")


class SystemClock:
    """``clock://system``."""

    def now(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


class SysfsBattery:
    """``power://``: reads ``/sys/class/power_supply`` on every call (cheap, no polling thread)."""

    def __init__(self, root: Path = SYSFS, name: str = "") -> None:
        self.root = root
        self.name = name

    def _read(self, supply: Path, key: str) -> str:
        try:
            return (supply / key).read_text().strip()
        except OSError:
            return ""

    def status(self) -> PowerStatus:
        supplies = sorted(self.root.iterdir()) if self.root.is_dir() else []
        batteries = [s for s in supplies if self._read(s, "type") == "Battery" and self.name in ("", s.name)]
        mains = [s for s in supplies if self._read(s, "type") in ("Mains", "USB")]
        on_mains = any(self._read(s, "online") == "1" for s in mains) or not batteries
        if not batteries:
            return PowerStatus(level_pct=None, charging=False, on_mains=on_mains)
        battery = batteries[0]
        capacity = self._read(battery, "capacity")
        return PowerStatus(
            level_pct=int(capacity) if capacity.isdigit() else None,
            charging=self._read(battery, "status") == "Charging",
            on_mains=on_mains,
            details={"supply": battery.name},
        )


def open_clock(parts: SplitResult) -> SystemClock:
    """The factory behind ``clock://system``.

    Raises:
        DeviceNotFound: another clock than ``system``.
    """
    from drivers import device_url
    from drivers.errors import DeviceNotFound

    if parts.netloc not in ("", "system"):
        raise DeviceNotFound(device_url(parts), "the only real clock is clock://system")
    return SystemClock()


def open_battery(parts: SplitResult) -> SysfsBattery:
    """The factory behind ``power://``."""
    return SysfsBattery(name=parts.netloc)
