"""The contact kernel against a small scripted card with no ODA: selection, GPO, records, CVM, TRM,
action analysis, online completion. The full profiles with real certificates run in test_kernel_cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from emv import tlv
from emv.apdu import Command
from emv.kernel.capk import default_capks
from emv.kernel.context import KernelResult, Outcome, Transaction
from emv.kernel.kernel import ContactKernel
from emv.kernel.online import HostReply
from emv.kernel.params import default_params

AID = bytes.fromhex("A000000333010101")
WHEN = dt.datetime(2026, 11, 26, 15, 30, 0)


class Ui:
    def __init__(self, pin: str | None = "1234", online_pin: bool = True) -> None:
        self.pin, self.online_pin = pin, online_pin
        self.asked: list[str] = []

    def choose_application(self, labels: Sequence[str]) -> int | None:
        self.asked.append("choose")
        return 0

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        self.asked.append(f"pin {tries_left}")
        return None if self.pin is None else bytearray(self.pin.encode())

    def enter_online_pin(self) -> bool:
        self.asked.append("online pin")
        return self.online_pin


class MiniCard:
    """A PBOC-like debit card without ODA: responds by instruction, ARQC by default."""

    def __init__(
        self, *, cvm: str = "1F00", aip: str = "1800", pse: bool = True, gac_cid: int = 0x80
    ) -> None:
        self.pse, self.gac_cid, self.cvm, self.aip = pse, gac_cid, cvm, aip
        self.commands: list[Command] = []
        self.pin_tries = 3
        self.removed = False

    def record(self) -> bytes:
        return tlv.encode(
            [
                (
                    0x70,
                    [
                        (0x5A, bytes.fromhex("6224242900000113")),
                        (0x5F24, bytes.fromhex("301231")),
                        (0x5F25, bytes.fromhex("200101")),
                        (0x5F28, b"\x01\x56"),
                        (0x8C, bytes.fromhex("9F02069F03069F1A0295055F2A029A039C019F37048A02")),
                        (0x8D, bytes.fromhex("8A029F02069F37049F1A02")),
                        (0x8E, bytes(8) + bytes.fromhex(self.cvm)),
                        (0x9F08, b"\x00\x30"),
                        (0x9F07, b"\xff\x00"),
                        (0x9F42, b"\x01\x56"),
                    ],
                )
            ]
        )

    def __call__(self, capdu: bytes) -> bytes:
        if self.removed:
            from emv.errors import EmvError

            raise EmvError("card removed")
        c = Command.parse(capdu)
        self.commands.append(c)
        ok = b"\x90\x00"
        if c.ins == 0xA4:
            if c.data == b"1PAY.SYS.DDF01":
                if not self.pse:
                    return b"\x6a\x82"
                return tlv.encode([(0x6F, [(0x84, c.data), (0xA5, [(0x88, b"\x01")])])]) + ok
            if AID.startswith(c.data) and c.p2 == 0:
                pdol = bytes.fromhex("9F02069F1A025F2A029A039C019F3704")
                return (
                    tlv.encode(
                        [
                            (
                                0x6F,
                                [
                                    (0x84, AID),
                                    (0xA5, [(0x50, b"PBOC DEBIT"), (0x87, b"\x01"), (0x9F38, pdol)]),
                                ],
                            )
                        ]
                    )
                    + ok
                )
            return b"\x6a\x82"
        if c.ins == 0xB2:
            sfi = c.p2 >> 3
            if sfi == 1 and c.p1 == 1 and self.pse:
                return (
                    tlv.encode([(0x70, [(0x61, [(0x4F, AID), (0x50, b"PBOC DEBIT"), (0x87, b"\x01")])])]) + ok
                )
            if sfi == 2 and c.p1 == 1:
                return self.record() + ok
            return b"\x6a\x83"
        if c.ins == 0xA8:
            return tlv.encode([(0x80, bytes.fromhex(self.aip) + bytes.fromhex("10010100"))]) + ok
        if c.ins == 0xCA:
            if c.p2 == 0x17:
                return tlv.encode([(0x9F17, bytes((self.pin_tries,)))]) + ok
            return b"\x6a\x88"
        if c.ins == 0x20:
            block = c.data.hex().upper()
            if block.startswith("241234"):
                return ok
            self.pin_tries -= 1
            return bytes((0x63, 0xC0 | self.pin_tries))
        if c.ins == 0xAE:
            second = sum(1 for x in self.commands if x.ins == 0xAE) == 2
            cid = c.p1 & 0xC0 if second else min(c.p1 & 0xC0, self.gac_cid)
            return (
                tlv.encode(
                    [
                        (
                            0x77,
                            [
                                (0x9F27, bytes((cid,))),
                                (0x9F36, b"\x00\x07"),
                                (0x9F26, bytes(range(8))),
                                (0x9F10, bytes.fromhex("07010103A00000")),
                            ],
                        )
                    ]
                )
                + ok
            )
        if c.ins == 0x82:
            return ok
        return b"\x6d\x00"


def _run(
    card: MiniCard, amount: int = 1000, ui: Ui | None = None, reply: HostReply | str | None = "none"
) -> tuple[KernelResult, KernelResult | None]:
    kernel = ContactKernel(
        default_params(), default_capks(), card, ui or Ui(), unpredictable=lambda: b"\x11\x22\x33\x44"
    )
    first = kernel.start(Transaction(amount_minor=amount, when=WHEN, sequence_counter=7))
    if first.outcome is Outcome.GO_ONLINE and reply != "none":
        return first, kernel.complete(reply if isinstance(reply, HostReply) else None)
    return first, None


def test_online_approval_with_pse_and_no_cvm() -> None:
    card = MiniCard()
    first, final = _run(card, reply=HostReply(b"00"))
    assert first.outcome is Outcome.GO_ONLINE
    # ODA not performed (AIP has no SDA/DDA/CDA); floor limit 0 exceeded for UnionPay debit
    assert first.tvr.hex() == "8000008000"
    assert first.tsi.hex() == "6800"  # CV performed, card risk management, TRM
    assert first.cvm_results.hex() == "1f0002"
    assert first.field55[0x9F37] == b"\x11\x22\x33\x44"
    assert first.field55[0x9F02] == bytes.fromhex("000000001000")
    assert final is not None and final.outcome is Outcome.APPROVED_ONLINE
    assert [c.ins for c in card.commands] == [0xA4, 0xB2, 0xB2, 0xA4, 0xA8, 0xB2, 0xAE, 0xAE]
    assert final.card[0x5A] == bytes.fromhex("6224242900000113")
    assert "6224242900000113" not in repr(final)


def test_list_of_aids_when_no_pse() -> None:
    card = MiniCard(pse=False)
    first, _ = _run(card)
    assert first.outcome is Outcome.GO_ONLINE
    assert card.commands[0].data == b"1PAY.SYS.DDF01"
    assert card.commands[1].data == AID  # the first terminal AID


def test_offline_plaintext_pin_success() -> None:
    card = MiniCard(cvm="0100")
    ui = Ui(pin="1234")
    first, _ = _run(card, ui=ui)
    assert first.cvm_results.hex() == "010002"
    assert ui.asked == ["pin 3"]


def test_wrong_pin_until_blocked_sets_try_limit() -> None:
    card = MiniCard(cvm="0100")
    first, _ = _run(card, ui=Ui(pin="9999"))
    assert first.cvm_results.hex() == "010001"
    assert first.tvr[2] & 0xA0 == 0xA0  # CV not successful, PIN try limit exceeded


def test_online_pin_then_signature_fallback() -> None:
    card = MiniCard(cvm="42001E00")
    first, _ = _run(card, ui=Ui(online_pin=False))
    assert first.cvm_results.hex() == "1e0000"
    assert first.signature_required and first.tvr[2] & 0x08  # PIN not entered


def test_host_decline_and_unable_to_go_online() -> None:
    _, final = _run(MiniCard(), reply=HostReply(b"51"))
    assert final is not None and final.outcome is Outcome.DECLINED_ONLINE and not final.reversal_needed
    _, offline = _run(MiniCard(), reply=None)
    assert offline is not None and offline.outcome is Outcome.DECLINED_OFFLINE  # default TAC: floor limit


def test_card_declines_after_host_approval_needs_reversal() -> None:
    card = MiniCard(gac_cid=0x80)

    kernel = ContactKernel(default_params(), default_capks(), card, Ui(), unpredictable=lambda: bytes(4))
    first = kernel.start(Transaction(amount_minor=100, when=WHEN, sequence_counter=1))
    assert first.outcome is Outcome.GO_ONLINE
    original = card.__call__

    def declining(capdu: bytes) -> bytes:
        if capdu[1] == 0xAE:
            return (
                tlv.encode([(0x77, [(0x9F27, b"\x00"), (0x9F36, b"\x00\x07"), (0x9F26, bytes(8))])])
                + b"\x90\x00"
            )
        return original(capdu)

    kernel.transmit = declining
    assert kernel.ctx is not None
    kernel.ctx.transmit = declining
    final = kernel.complete(HostReply(b"00"))
    assert final.outcome is Outcome.DECLINED_ONLINE and final.reversal_needed


@pytest.mark.parametrize("sw", [b"\x6a\x81"])
def test_blocked_card_terminates(sw: bytes) -> None:
    def card(capdu: bytes) -> bytes:
        return sw

    first, _ = _run(card)  # type: ignore[arg-type]
    assert first.outcome is Outcome.TERMINATED


def test_no_answer_means_fallback() -> None:
    def card(capdu: bytes) -> bytes:
        return b"\x6a\x82"

    first, _ = _run(card)  # type: ignore[arg-type]
    assert first.outcome is Outcome.FALLBACK_MAGSTRIPE


def test_card_removed_mid_transaction_terminates() -> None:
    card = MiniCard()
    calls = 0

    def flaky(capdu: bytes) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 5:
            card.removed = True
        return card(capdu)

    first, _ = _run(flaky)  # type: ignore[arg-type]
    assert first.outcome is Outcome.TERMINATED and "card removed" in first.reason


def test_cancel_at_the_offline_pin_stops_the_kernel() -> None:
    """CANCEL at the PIN prompt (the terminal's callback raises): TERMINATED, kind CANCELLED, and no VERIFY
    or GENERATE AC reaches the card (Book 4 11.2)."""
    from emv.kernel.context import CardholderCancelledError, Termination

    class Cancelling(Ui):
        def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
            self.asked.append("pin")
            raise CardholderCancelledError("cancelled at the offline PIN prompt")

    card = MiniCard(cvm="0100")
    sent: list[int] = []

    def transmit(capdu: bytes) -> bytes:
        sent.append(capdu[1])
        return card(capdu)

    ui = Cancelling()
    kernel = ContactKernel(default_params(), default_capks(), transmit, ui, unpredictable=lambda: bytes(4))
    result = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=7))
    assert result.outcome is Outcome.TERMINATED and result.termination is Termination.CANCELLED
    assert ui.asked == ["pin"] and sent[-1] != 0x20 and 0xAE not in sent


@pytest.mark.parametrize(("code", "approved"), [(b"00", True), (b"11", True), (b"10", False), (b"05", False)])
def test_which_response_codes_approve(code: bytes, approved: bool) -> None:
    """00 and 11 approve in full; 10 (partial approval) is not supported, so the card gets an AAC."""
    assert HostReply(code).approved is approved


def test_complete_only_after_go_online() -> None:
    """No second GENERATE AC to a card whose first did not ask to go online, nor a second completion."""
    from emv.kernel.context import TerminationError

    kernel = ContactKernel(
        default_params(), default_capks(), MiniCard(), Ui(), unpredictable=lambda: bytes(4)
    )
    with pytest.raises(TerminationError):
        kernel.complete(HostReply(b"00"))
    first = kernel.start(Transaction(amount_minor=100, when=WHEN, sequence_counter=1))
    assert first.outcome is Outcome.GO_ONLINE
    assert kernel.complete(HostReply(b"00")).outcome is Outcome.APPROVED_ONLINE
    with pytest.raises(TerminationError):
        kernel.complete(HostReply(b"00"))
