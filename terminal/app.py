"""The composition root: settings → devices (by URL) → the terminal, with a face (ARCHITECTURE.md 1, 6).

:func:`build_terminal` opens every device the settings name (virtual twins by default, so a bare laptop
runs the whole terminal with the in-process host simulator) and returns the terminal and its devices.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers import (
    open_battery,
    open_card_reader,
    open_clock,
    open_contactless_reader,
    open_device,
    open_magstripe,
    open_printer,
    open_scanner,
)
from emv.kernel.capk import default_capks
from emv.kernel.params import default_params
from terminal.model import Devices, Terminal
from terminal.settings import TerminalSettings
from ui.base import Display, Keypad

log = logging.getLogger(__name__)

__all__ = ["Built", "build_terminal"]


@dataclass
class Built:
    terminal: Terminal
    devices: Devices


def build_terminal(settings: TerminalSettings, display: Display, keypad: Keypad, data_dir: Path | None = None,
                   **extra_devices: Any) -> Built:  # fmt: skip
    """Open the devices the settings name and build the terminal on them.

    Raises:
        DeviceError: a device cannot be opened. ConfigError: a bad setting.
    """
    urls = settings.devices
    directory = data_dir or settings.data_dir
    directory.mkdir(parents=True, exist_ok=True)
    devices = Devices(
        display=display,
        keypad=keypad,
        clock=extra_devices.get("clock") or open_clock(urls.get("clock", "virtual://clock")),
        printer=open_printer(urls.get("printer", "virtual://printer")),
        host=open_device(urls.get("host", "virtual://host")),  # type: ignore[arg-type]
        reader=open_card_reader(urls["reader"]) if urls.get("reader") else None,
        contactless=open_contactless_reader(urls["contactless"]) if urls.get("contactless") else None,
        msr=open_magstripe(urls["msr"]) if urls.get("msr") else None,
        scanner=open_scanner(urls["scanner"]) if urls.get("scanner") else None,
        battery=open_battery(urls.get("battery", "virtual://battery")),
    )
    terminal = Terminal(devices, settings, directory, default_params(), default_capks())
    return Built(terminal, devices)
