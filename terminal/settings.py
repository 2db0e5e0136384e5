"""The terminal's settings (``config/defaults/posemu.toml`` or a file given with ``--config``): device
URLs, timeouts, the activation data, default operators and the receipt format. Checked on load; a bad
value is a :class:`ConfigError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.load import load_default, load_toml

__all__ = ["QR_TIMEOUT_MAX_S", "Activation", "TerminalSettings", "load_settings"]

QR_TIMEOUT_MAX_S = 300.0  # a shown QR waits at most this long: well inside an acquirer's order lifetime
# (the simulator's unpaid orders close themselves after 600 s, host.wallet.ORDER_TTL_S)


@dataclass(frozen=True)
class Activation:
    merchant_name: str
    contact: str
    phone: str
    mid: str
    tid: str
    tmk: bytes = field(repr=False)


@dataclass(frozen=True)
class TerminalSettings:
    data_dir: Path
    language: str
    input_timeout_s: float
    card_timeout_s: float
    pin_timeout_s: float
    qr_poll_s: float
    qr_timeout_s: float
    low_battery_percent: int
    allow_fallback: bool
    random_seed: int | None  # terminal risk management's random selection: None = the system's randomness
    devices: Mapping[str, str]
    activation: Activation
    supervisor: tuple[str, str] = field(repr=False)
    cashiers: tuple[tuple[str, str], ...] = field(repr=False)
    receipt: Mapping[str, Any] = field(default_factory=dict)


def _get(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = table.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"{where}.{key}: expected {kind.__name__}")
    return value


def settings_from(data: Mapping[str, Any]) -> TerminalSettings:
    """Build the settings from a parsed TOML document.

    Raises:
        ConfigError: a missing or malformed value.
    """
    try:
        return _settings_from(data)
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"terminal settings: a value of the wrong type or missing ({type(exc).__name__})"
        ) from exc


def _settings_from(data: Mapping[str, Any]) -> TerminalSettings:
    t = data.get("terminal", {})
    a = data.get("activation", {})
    ops = data.get("operators", {})
    try:
        tmk = bytes.fromhex(_get(a, "tmk", str, "activation"))
    except ValueError:
        raise ConfigError("activation.tmk: not hex") from None
    mid, tid = _get(a, "mid", str, "activation"), _get(a, "tid", str, "activation")
    if len(mid) != 15 or not mid.isdigit() or len(tid) != 8 or not tid.isdigit():
        raise ConfigError("activation: mid has 15 digits, tid 8")
    sup = ops.get("supervisor", {})
    qr_timeout_s = float(t.get("qr_timeout_s", 120))
    if not 10 <= qr_timeout_s <= QR_TIMEOUT_MAX_S:
        raise ConfigError(f"terminal.qr_timeout_s: {qr_timeout_s:g} s is outside 10..{QR_TIMEOUT_MAX_S:g} s")
    return TerminalSettings(
        data_dir=Path(_get(t, "data_dir", str, "terminal")),
        language=str(t.get("language", "zh_CN")),
        input_timeout_s=float(t.get("input_timeout_s", 60)),
        card_timeout_s=float(t.get("card_timeout_s", 60)),
        pin_timeout_s=float(t.get("pin_timeout_s", 60)),
        qr_poll_s=float(t.get("qr_poll_s", 3)),
        qr_timeout_s=qr_timeout_s,
        low_battery_percent=int(t.get("low_battery_percent", 10)),
        allow_fallback=bool(t.get("allow_fallback", True)),
        random_seed=int(t["random_seed"]) if "random_seed" in t else None,
        devices=dict(data.get("devices", {})),
        activation=Activation(
            _get(a, "merchant_name", str, "activation"),
            str(a.get("contact", "")),
            str(a.get("phone", "")),
            mid,
            tid,
            tmk,
        ),
        supervisor=(str(sup.get("number", "00")), str(sup.get("password", ""))),
        cashiers=tuple((str(c["number"]), str(c["password"])) for c in ops.get("cashiers", [])),
        receipt=dict(data.get("receipt", {})),
    )


def load_settings(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TerminalSettings:
    """The shipped settings, or a file's, with ``overrides`` (table -> key -> value) applied."""
    data = load_toml(path) if path else load_default("posemu.toml")
    for table, values in (overrides or {}).items():
        data.setdefault(table, {}).update(values)
    return settings_from(data)
