"""Test helpers for contactless taps: the kernel over a virtual contactless card, a recording cardholder,
the in-process issuer, and a transport that rewrites chosen card answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emv.apdu import Command
from emv.cards.contactless import ContactlessCard, load_contactless_card
from emv.kernel.capk import default_capks
from emv.kernel.contactless import ContactlessKernel, ContactlessResult
from emv.kernel.context import Outcome, Transaction
from emv.kernel.online import HostReply
from emv.kernel.params import TerminalParams, default_params
from host.issuer import CardKeys, authorise

WHEN = dt.datetime(2026, 11, 26, 10, 0, 0)
UN = bytes.fromhex("11223344")
PARAMS, CAPKS = default_params(), default_capks()


def fixed_random(n: int) -> bytes:
    return bytes(range(1, n + 1))


class Cardholder:
    """Answers the kernel's prompts and records them in ``events`` (shared with the removal hook)."""

    def __init__(self, events: list[str], online_pin: bool = True) -> None:
        self.events, self.online_pin = events, online_pin

    def choose_application(self, labels: Sequence[str]) -> int | None:
        self.events.append("choose")
        return 0

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        self.events.append("offline PIN")
        return None

    def enter_online_pin(self) -> bool:
        self.events.append("online PIN")
        return self.online_pin


Rewrite = Callable[[Command, bytes], bytes]


@dataclass
class Tap:
    """A kernel, its card, the events seen, and the transport (which may rewrite answers)."""

    card: ContactlessCard
    kernel: ContactlessKernel
    events: list[str] = field(default_factory=list)
    rewrite: Rewrite | None = None
    commands: list[Command] = field(default_factory=list)

    def transmit(self, capdu: bytes) -> bytes:
        cmd = Command.parse(capdu)
        self.commands.append(cmd)
        self.events.append(f"{cmd.ins:02X}")
        rapdu = self.card.transmit(capdu)
        return self.rewrite(cmd, rapdu) if self.rewrite is not None else rapdu

    def start(self, amount: int, transaction_type: int = 0x00, when: dt.datetime = WHEN) -> ContactlessResult:
        txn = Transaction(
            amount_minor=amount, when=when, sequence_counter=1, transaction_type=transaction_type
        )
        return self.kernel.start(txn)

    def keys(self) -> CardKeys:
        p = self.card.image.profile
        return CardKeys(p.pan, p.psn, p.imk_ac, p.cryptogram.version)

    def online(self, first: ContactlessResult, code: str = "00") -> ContactlessResult:
        """The in-process issuer answers; the ARQC (or the TC sent online) must verify."""
        decision = authorise(self.keys(), first.field55, code)
        assert decision.reason == "ARQC verified", decision.reason
        return self.kernel.complete(HostReply(decision.response_code.encode(), decision.issuer_auth_data))


def make_tap(
    profile: str,
    *,
    rewrite: Rewrite | None = None,
    online_pin: bool = True,
    params: TerminalParams = PARAMS,
) -> Tap:
    card = load_contactless_card(profile, random_bytes=fixed_random)
    events: list[str] = []
    holder: list[Tap] = []
    kernel = ContactlessKernel(
        params,
        CAPKS,
        lambda capdu: holder[0].transmit(capdu),
        Cardholder(events, online_pin),
        unpredictable=lambda: UN,
        on_card_removable=lambda: events.append("removable"),
    )
    tap = Tap(card, kernel, events, rewrite)
    holder.append(tap)
    return tap


def run_online(tap: Tap, amount: int) -> tuple[ContactlessResult, ContactlessResult]:
    """Tap; if the kernel goes online, let the issuer answer 00. Returns (tap result, final result)."""
    first = tap.start(amount)
    if first.outcome is not Outcome.GO_ONLINE:
        return first, first
    return first, tap.online(first)
