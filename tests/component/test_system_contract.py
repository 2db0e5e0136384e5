"""The Clock and Battery contracts over the real (clock://system, power://) and virtual devices."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers import open_device
from drivers.base import Battery, Clock, PowerStatus


@pytest.fixture(
    params=["clock://system", "virtual://clock", "virtual://clock?at=2025-06-30T23:59:59%2B08:00"]
)
def clock(request: pytest.FixtureRequest) -> Clock:
    device = open_device(request.param)
    assert isinstance(device, Clock)
    return device


def test_clock_is_aware_and_monotonic(clock: Clock) -> None:
    assert clock.now().tzinfo is not None
    a = clock.monotonic()
    assert clock.monotonic() >= a


def test_virtual_clock_moves_only_when_told() -> None:
    from drivers.virtual.system import VirtualClock

    c = open_device("virtual://clock?at=2025-06-30T23:59:59%2B08:00")
    assert isinstance(c, VirtualClock)
    t0, m0 = c.now(), c.monotonic()
    assert c.now() == t0
    c.advance(1)
    assert c.now() == dt.datetime(2025, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert c.monotonic() == m0 + 1
    with pytest.raises(ValueError):
        c.advance(-1)


@pytest.fixture(params=["power://", "virtual://battery", "virtual://battery?level=5&mains=0"])
def battery(request: pytest.FixtureRequest) -> Battery:
    device = open_device(request.param)
    assert isinstance(device, Battery)
    return device


def test_battery_reports(battery: Battery) -> None:
    status = battery.status()
    assert isinstance(status, PowerStatus)
    assert status.level_pct is None or 0 <= status.level_pct <= 100


def test_low_battery() -> None:
    b = open_device("virtual://battery?level=5&mains=0")
    assert isinstance(b, Battery) and b.status().low
    b.set(80, charging=True, on_mains=True)  # type: ignore[attr-defined]
    assert not b.status().low and b.status().charging
