"""The terminal: devices, services, the event queue and the state machine's callbacks
(ARCHITECTURE.md section 1; issue 7).

One :class:`Terminal` per device. Every input (a key, a card inserted or tapped, a swipe, a scanned code,
a clock tick) enters as an :class:`Event` on one queue, and the hierarchical state machine consumes them
one at a time; nothing else changes the terminal's state. Callbacks ``on_enter_<state>`` are small: each
publishes its screen and makes one call into a service (kernel, authoriser, journal, printer). The
transaction steps live in :mod:`terminal.flows`, sign-on and settlement in :mod:`terminal.session`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transitions import MachineError

from drivers.base import Battery, CardReader, Clock, ContactlessReader, MagstripeReader, Printer, Scanner
from drivers.host import SocketHostLink
from emv.kernel.capk import CapkStore
from emv.kernel.params import TerminalParams
from host import requests as rq
from terminal.auth import Authoriser
from terminal.flows import FlowsMixin
from terminal.journal import Journal
from terminal.keystore import KeyStore
from terminal.machine import build_machine
from terminal.operators import Operators
from terminal.screens import screen
from terminal.session import SessionMixin
from terminal.settings import TerminalSettings
from ui.base import Display, Keypad, Screen

log = logging.getLogger(__name__)

__all__ = ["Devices", "Event", "Terminal"]


@dataclass(frozen=True)
class Event:
    """Something that happened: ``key`` (value: the key), ``card`` (value: chip / tap), ``swipe``, ``qr``
    (value: the scanned code), ``removed``, ``tick`` (the clock moved)."""

    kind: str
    value: Any = None


@dataclass
class Devices:
    """The terminal's devices, real or virtual (ARCHITECTURE.md section 3)."""

    display: Display
    keypad: Keypad
    clock: Clock
    printer: Printer
    host: SocketHostLink
    reader: CardReader | None = None
    contactless: ContactlessReader | None = None
    msr: MagstripeReader | None = None
    scanner: Scanner | None = None
    battery: Battery | None = None


@dataclass
class Prompt:
    """An input being typed: digits, an amount (minor units), or a secret shown as ``*``."""

    kind: str  # "digits", "amount", "secret"
    min_len: int = 1
    max_len: int = 12
    text: str = field(default="", repr=False)

    def echo(self) -> str:
        if self.kind == "secret":
            return "*" * len(self.text)
        if self.kind == "amount":
            from terminal.screens import yuan

            return "RMB " + yuan(int(self.text or "0"))
        return self.text


class Terminal(SessionMixin, FlowsMixin):
    """The firmware of one terminal."""

    state: str

    def trigger(self, name: str, *args: Any, **kwargs: Any) -> bool:  # replaced by transitions
        raise NotImplementedError  # pragma: no cover

    def __init__(
        self,
        devices: Devices,
        settings: TerminalSettings,
        data_dir: Path,
        params: TerminalParams,
        capks: CapkStore,
    ) -> None:
        self.dev = devices
        self.settings = settings
        self.params = params
        self.capks = capks
        self.keys = KeyStore(data_dir / "keys.json")
        self.journal = Journal(data_dir / "journal.db", self.keys.data_key, clock=lambda: devices.clock.now())
        self.operators = Operators(self.journal.db)
        self.auth = Authoriser(devices.host, self.journal, self.terminal_id)
        self.events: deque[Event] = deque()
        self.prompt: Prompt | None = None
        self.operator: str | None = None
        self.message: tuple[str, str] | None = None  # a line shown under the next screen (errors)
        self.deadline: float | None = None
        self.fault_reason = ""
        self.machine = build_machine(self)
        self.reset_txn()

    # -- identity -----------------------------------------------------------------------------------------

    def terminal_id(self) -> rq.TerminalId:
        return rq.TerminalId(self.journal.setting("tid", "") or "", self.journal.setting("mid", "") or "")

    @property
    def now(self) -> dt.datetime:
        return self.dev.clock.now()

    # -- the event loop -----------------------------------------------------------------------------------

    def post(self, event: Event) -> None:
        self.events.append(event)

    def poll_devices(self) -> None:
        """Turn what the devices report into events (non-blocking)."""
        key = self.dev.keypad.read_key(0)
        if key is not None:
            self.post(Event("key", key))
        # a reader may have several events waiting (a card replaced: removed, then inserted): take them all
        for reader, how in ((self.dev.reader, "chip"), (self.dev.contactless, "tap")):
            if reader is None:
                continue
            for _ in range(8):
                ev = reader.wait_event(0)
                if ev is None:
                    break
                self.post(Event("removed" if ev.kind == "removed" else "card", how))
        if self.dev.msr is not None:
            swipe = self.dev.msr.read_swipe(0)
            if swipe is not None:
                self.post(Event("swipe", swipe))
        if self.dev.scanner is not None:
            code = self.dev.scanner.read_code(0)
            if code is not None:
                self.post(Event("qr", code))

    def run_until_idle(self, max_events: int = 1000) -> None:
        """Poll the devices and process events until nothing is left (bounded)."""
        for _ in range(max_events):
            self.poll_devices()
            if not self.events:
                return
            self.dispatch(self.events.popleft())

    def dispatch(self, event: Event) -> None:
        """Handle one event. A trigger the current state does not take is logged and ignored; any other
        error in the firmware takes the terminal to its fault screen instead of stopping it (the journal
        keeps what was committed; the next boot recovers the rest)."""
        try:
            self._dispatch(event)
        except MachineError as exc:
            log.warning("ignored in state %s: %s", self.state, exc)
        except Exception as exc:
            log.error("fault in state %s handling %s: %s", self.state, event.kind, type(exc).__name__)
            self.prompt = None
            self.fault_reason = "internal"
            self.message = ("系统故障 按确认重启", "INTERNAL FAULT: OK TO RESTART")
            self.trigger("fault")

    def _dispatch(self, event: Event) -> None:
        if event.kind == "tick":
            if self.deadline is not None and self.dev.clock.monotonic() >= self.deadline:
                self.deadline = None
                self.on_timeout()
            return
        handler = getattr(self, f"on_{event.kind}", None)
        if handler is not None:
            handler(event.value)

    def start_timer(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else self.dev.clock.monotonic() + seconds

    # -- screens and prompts ------------------------------------------------------------------------------

    def show(self, screen_id: str, *lines: tuple[str, str], facts: dict[str, str] | None = None) -> Screen:
        extra = (self.message,) if self.message else ()
        self.message = None
        echo = self.prompt.echo() if self.prompt is not None else ""
        s = screen(screen_id, *lines, *extra, echo=echo, facts=facts)
        self.dev.display.show(s)
        return s

    def ask(self, screen_id: str, kind: str, min_len: int, max_len: int, *lines: tuple[str, str]) -> None:
        self.prompt = Prompt(kind, min_len, max_len)
        self._prompt_screen = (screen_id, lines)
        self.start_timer(self.settings.input_timeout_s)
        self.show(screen_id, *lines)

    def on_key(self, key: str) -> None:
        """Keys edit the prompt; OK submits it; CANCEL goes back; others are the state's business."""
        self.start_timer(self.settings.input_timeout_s) if self.prompt is not None else None
        if self.prompt is not None and (key.isdigit() or key in ("CLEAR",)):
            p = self.prompt
            if key == "CLEAR":
                p.text = p.text[:-1]
            elif len(p.text) + len(key) <= p.max_len:
                p.text = (p.text + key).lstrip("0") if p.kind == "amount" else p.text + key
            screen_id, lines = self._prompt_screen
            self.show(screen_id, *lines)
            return
        if key == "OK" and self.prompt is not None:
            text = self.prompt.text
            if len(text) < self.prompt.min_len or (self.prompt.kind == "amount" and int(text or "0") == 0):
                return
            self.prompt = None
            self.submit(text)
            return
        if key == "CANCEL":
            self.prompt = None
            self.on_cancel()
            return
        self.on_function_key(key)

    def submit(self, text: str) -> None:
        """A prompt was completed: the current state's ``submit_<state>`` handles it."""
        handler = getattr(self, f"submit_{self.state}", None)
        if handler is not None:
            handler(text)

    def on_cancel(self) -> None:
        if self.state == "txn_qr" and self.poll_qr(final=True):
            return  # paid just before the cancel: the sale stands
        if self.state.startswith(("txn", "menu", "reprint", "settle", "login", "activate", "signoff")):
            if self.state.startswith("txn"):
                self.abandon_txn("cancelled")
            self.trigger("cancel")

    def on_timeout(self) -> None:
        """A wait ran out (amount, card, PIN): the transaction is cancelled with a message. A shown QR's
        timer is its polling interval instead."""
        if self.state == "txn_qr":
            self.poll_qr()
            return
        self.prompt = None
        self.message = ("超时", "TIMEOUT")
        self.on_cancel()

    def on_function_key(self, key: str) -> None:
        handler = getattr(self, f"key_{self.state}", None)
        if handler is not None:
            handler(key)

    # -- power ---------------------------------------------------------------------------------------------

    def power_on(self) -> None:
        self.trigger("power_on")
        self.run_until_idle()

    def fail(self, reason: str, zh: str, en: str) -> None:
        self.fault_reason = reason
        self.message = (zh, en)
        self.trigger("fault")

    def on_enter_fault(self) -> None:
        """Each self-test failure has its own screen: ``fault_battery``, ``fault_paper``, ``fault_host``..."""
        self.show(
            f"fault_{self.fault_reason}" if self.fault_reason else "fault",
            facts={"reason": self.fault_reason},
        )

    def key_fault(self, key: str) -> None:
        if key == "OK":
            self.trigger("reset")
