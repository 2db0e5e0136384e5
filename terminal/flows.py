"""The transaction steps: amount, supervisor password, original transaction, capture by chip / tap /
swipe / scanned code / shown QR, online PIN, authorisation, result and receipt (issue 7; MERCHANT_GUIDE.md
"login and collecting payment"; DOMAIN_FACTS.md A for the message rules, F for the force-chip rule).

A transaction's kind picks its steps from :data:`terminal.states.FLOWS`; :meth:`FlowsMixin.next_step`
moves to the following one. The contact kernel runs inside the capture step; its cardholder prompts (the
application choice, the PIN) read keys from the same keypad, so a script can answer them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from config.errors import PosError
from emv import tlv
from emv.crypto import des
from emv.crypto.errors import PanError, PinError
from emv.crypto.pinblock import encode_iso0_from_digits
from emv.kernel.context import (
    CardholderCancelledError,
    KernelResult,
    Outcome,
    Termination,
    TerminationError,
    Transaction,
)
from emv.kernel.kernel import ContactKernel
from emv.kernel.online import HostReply
from host import requests as rq
from host.errors import Iso8583Error
from host.fields import Field60
from terminal.auth import request_for, with_reversal_icc
from terminal.screens import KIND_NAMES, yuan
from terminal.states import FLOWS

log = logging.getLogger(__name__)

__all__ = ["FlowsMixin", "TxnWork"]

RC_TEXT = {
    "00": ("交易成功", "APPROVED"),
    "51": ("余额不足", "INSUFFICIENT FUNDS"),
    "55": ("密码错误", "WRONG PIN"),
    "75": ("密码错误次数超限", "PIN TRIES EXCEEDED"),
    "54": ("卡已过期", "EXPIRED CARD"),
    "A0": ("MAC校验错 请重新签到", "MAC ERROR, SIGN ON AGAIN"),
    "94": ("重复交易", "DUPLICATE"),
    "25": ("原交易不存在", "ORIGINAL NOT FOUND"),
}
# 9C transaction type per kind (EMV Book 3 Annex A; ISO 8583 processing code's first two digits)
TXN_TYPE = {"sale": 0x00, "balance": 0x31, "preauth": 0x03}
# 9C type per kind; the kinds a card is read for
CARD_KINDS = ("sale", "balance", "preauth")


@dataclass
class TxnWork:
    """The transaction in progress."""

    kind: str = ""
    steps: Sequence[str] = ()
    amount: int = 0
    original: Any = None
    reason: str = ""
    entry: str = ""  # chip, tap, swipe, fallback, qr
    pan: str = field(default="", repr=False)
    card: rq.CardData | None = field(default=None, repr=False)
    kernel: ContactKernel | None = None
    first: KernelResult | None = None
    final: KernelResult | None = None
    chip_failed: bool = False
    txn_id: int | None = None
    response_code: str = ""
    approved: bool = False
    emv: dict[str, str] = field(default_factory=dict)
    qr_ref: str = ""
    qr_payload: str = ""
    qr_deadline: float = 0.0
    code: str = field(default="", repr=False)
    balance: Any = None
    started: bool = False
    trace: int = 0  # system trace audit number (f11), also the kernel's 9F41


class TerminalCardholder:
    """The kernel's :class:`emv.kernel.context.CardholderInterface` on the terminal's keypad and display."""

    def __init__(self, terminal: Any) -> None:
        self.t = terminal

    def choose_application(self, labels: Sequence[str]) -> int | None:
        lines = [(f"{k + 1} {label}", f"{k + 1} {label}") for k, label in enumerate(labels)]
        self.t.show("txn_choose_app", *lines)
        key = self.t.read_key(self.t.settings.input_timeout_s)
        if key is None or not key.isdigit() or not 1 <= int(key) <= len(labels):
            return None
        return int(key) - 1

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        line = (f"剩余 {tries_left} 次", f"{tries_left} TRIES LEFT") if tries_left is not None else ("", "")
        digits: bytearray | None = self.t.read_pin(line)
        if digits is None and self.t.pin_cancelled:
            raise CardholderCancelledError("cancelled at the offline PIN prompt")
        return digits

    def enter_online_pin(self) -> bool:
        digits = self.t.read_pin(("联机密码", "ONLINE PIN"))
        if digits is None:
            if self.t.pin_cancelled:
                raise CardholderCancelledError("cancelled at the online PIN prompt")
            return False
        try:
            self.t.capture_online_pin(digits)
        except (PanError, PinError) as exc:  # the card's PAN cannot make a PIN block: the card's data
            raise TerminationError(f"no PIN block: {exc}", Termination.CARD_DATA) from None
        except (
            PosError
        ) as exc:  # the terminal's PIN key failed: not the card's fault, raised after the kernel
            self.t.pin_fault = exc
            raise TerminationError("the online PIN could not be enciphered", Termination.TERMINAL) from None
        return True


class FlowsMixin:
    """The ``txn`` state's steps of :class:`terminal.model.Terminal`."""

    pending_card: str | None
    unprinted: list[int]
    reprint_ids: list[int]
    pin_block: bytes | None
    pending_pin: bytearray | None
    pin_cancelled: bool
    pin_fault: PosError | None
    prompt: Any
    message: tuple[str, str] | None

    # -- flow control ---------------------------------------------------------------------------------

    def reset_txn(self: Any) -> None:
        self.work = TxnWork()
        self.pin_block = None
        self.pin_cancelled, self.pin_fault = False, None
        if not hasattr(self, "pending_card"):
            self.pending_card = None
        if not hasattr(self, "unprinted"):
            self.unprinted = []
        if not hasattr(self, "reprint_ids"):
            self.reprint_ids = []

    def begin(self: Any, kind: str) -> None:
        battery = self.dev.battery.status() if self.dev.battery is not None else None
        if battery is not None and battery.low:
            self.message = ("电量不足 无法交易", "BATTERY LOW: NO TRANSACTIONS")
            self.show("idle")
            return
        self.work = TxnWork(kind=kind, steps=FLOWS[kind])
        self.trigger("start")

    def on_enter_txn(self: Any) -> None:
        pass

    def next_step(self: Any, after: str | None = None) -> None:
        steps = list(self.work.steps)
        current = after or self.state.removeprefix("txn_")
        k = steps.index(current) + 1 if current in steps else 0
        while k < len(steps):
            step = steps[k]
            if step == "pin" and not self.needs_pin():
                k += 1
                continue
            self.trigger(f"goto_{step}")
            return
        self.trigger("done")

    def on_enter_txn_capture(self: Any) -> None:
        self.enter_capture()

    def abandon_txn(self: Any, why: str) -> None:
        log.info("transaction %s abandoned: %s", self.work.kind, why)

    def txn_trace(self: Any) -> int:
        """The transaction's trace number, allocated (and committed) once."""
        if not self.work.trace:
            self.work.trace = self.journal.next_trace()
        return int(self.work.trace)

    def read_key(self: Any, timeout_s: float) -> str | None:
        key: str | None = self.dev.keypad.read_key(timeout_s)
        return key

    def read_pin(self: Any, line: tuple[str, str]) -> bytearray | None:
        """Read PIN digits on the keypad into a wipeable buffer; None on CANCEL, timeout or bypass."""
        digits = bytearray()
        while True:
            self.dev.display.show(self.pin_screen(line, len(digits)))
            key = self.read_key(self.settings.pin_timeout_s)
            if key is None or key == "CANCEL":  # not a bypass: the transaction is abandoned
                digits[:] = bytes(len(digits))
                self.pin_cancelled = True
                return None
            if key == "OK":
                if not digits:
                    return None  # bypass
                if len(digits) >= 4:
                    return digits
            elif key == "CLEAR" and digits:
                digits.pop()
            elif key.isdigit() and len(digits) < 12:
                digits += key.encode()

    def pin_screen(self: Any, line: tuple[str, str], n: int) -> Any:
        from terminal.screens import screen

        return screen("txn_pin", line, echo="*" * n, facts={"amount": yuan(self.work.amount)})

    def capture_online_pin(self: Any, digits: bytearray) -> None:
        """Encipher the online PIN (ISO 9564 format 0 under the session PIK) and wipe the digits. A tap's
        kernel asks for the PIN before its result gives the PAN: the block is then made when it does."""
        pan = self.work.pan or self.kernel_pan()
        if not pan:
            self.pending_pin = digits
            return
        block = bytearray()
        try:  # field 52: ISO 9564 format 0 under the session PIK, the PIN never in a str (STYLE.md 6)
            block = encode_iso0_from_digits(digits, pan)
            self.pin_block = des.encrypt_ecb(self.session_pik, block)
        finally:
            digits[:] = bytes(len(digits))
            block[:] = bytes(len(block))

    def kernel_pan(self: Any) -> str:
        k = self.work.kernel
        ctx = getattr(k, "ctx", None)
        raw = ctx.card.get(0x5A, b"") if ctx is not None else b""
        return str(raw.hex().upper().rstrip("F"))

    def needs_pin(self: Any) -> bool:
        # a magstripe transaction asks for the PIN itself; the chip kernel asked inside its CVM step
        return self.work.entry in ("swipe", "fallback") and self.pin_block is None

    # -- prompts --------------------------------------------------------------------------------------

    def on_enter_txn_password(self: Any) -> None:
        self.ask("txn_password", "secret", 4, 12)

    def submit_txn_password(self: Any, text: str) -> None:
        if not self.operators.is_supervisor_password(text, self.now):
            self.message = ("主管密码错误", "WRONG SUPERVISOR PASSWORD")
            self.on_enter_txn_password()
            return
        self.next_step()

    def on_enter_txn_original(self: Any) -> None:
        if self.work.kind == "refund":
            self.ask("txn_original_rrn", "digits", 12, 12)
        else:
            self.ask("txn_original", "digits", 1, 6)

    def submit_txn_original(self: Any, text: str) -> None:
        kind = self.work.kind
        if kind == "refund":
            found = self.journal.find_by_rrn(text)
            ok = found is not None and found.kind in ("sale", "completion", "scan_sale", "qr_sale")
        else:
            found = self.journal.find_by_trace(int(text))
            wanted = "preauth" if kind == "completion" else ("sale", "scan_sale", "qr_sale")
            ok = found is not None and found.state == "approved" and found.kind in wanted
        if not ok:
            self.message = ("原交易不存在或不可操作", "NO SUCH ORIGINAL TRANSACTION")
            self.on_enter_txn_original()
            return
        self.work.original = found
        self.work.amount = found.amount_minor if kind == "void" else 0
        self.next_step()

    def on_enter_txn_amount(self: Any) -> None:
        lines = [(KIND_NAMES[self.work.kind][0], KIND_NAMES[self.work.kind][1])]
        if self.work.original is not None:
            cap = yuan(self.work.original.amount_minor)
            lines.append((f"原金额 {cap}", f"ORIGINAL {cap}"))
        self.ask("txn_amount", "amount", 1, 10, *lines)

    def submit_txn_amount(self: Any, text: str) -> None:
        amount = int(text)
        limit = self.work.original.amount_minor if self.work.original is not None else None
        if limit is not None and amount > limit:
            self.message = ("金额超过原交易金额", "AMOUNT OVER THE ORIGINAL")
            self.on_enter_txn_amount()
            return
        self.work.amount = amount
        self.next_step()

    def on_enter_txn_reason(self: Any) -> None:
        self.ask("txn_reason", "digits", 1, 1)

    def submit_txn_reason(self: Any, text: str) -> None:
        self.work.reason = {"1": "return", "2": "wrong amount", "3": "duplicate"}.get(text, "other")
        self.next_step()

    def on_enter_txn_confirm(self: Any) -> None:
        o = self.work.original
        self.show(
            "txn_confirm",
            (
                f"凭证号 {o.trace:06d}  金额 {yuan(o.amount_minor)}",
                f"VOUCHER {o.trace:06d}  {yuan(o.amount_minor)}",
            ),
            (f"卡号 {o.pan_masked}", f"CARD {o.pan_masked}"),
        )

    def key_txn_confirm(self: Any, key: str) -> None:
        if key == "OK":
            self.next_step()

    # -- capture --------------------------------------------------------------------------------------

    def enter_capture(self: Any) -> None:
        if self.work.steps and self.work.steps[0] != "capture" and not self.work.started:
            self.work.started = True  # txn's initial child is capture: go to the flow's first step
            self.trigger(f"goto_{self.work.steps[0]}")
            return
        self.work.started = True
        self.start_timer(self.settings.card_timeout_s)
        self.show("txn_capture", facts={"amount": yuan(self.work.amount), "kind": self.work.kind})
        if self.pending_card is not None:
            how, self.pending_card = self.pending_card, None
            self.card_event(how)

    def card_event(self: Any, how: str) -> None:
        if self.state != "txn_capture":
            if self.state.startswith("txn"):
                self.pending_card = how  # a card inserted early waits for its step
            return
        if how == "tap" and self.dev.contactless is not None:
            self.run_contactless()
            return
        if how == "chip" and self.dev.reader is not None:
            self.run_chip()

    def fresh_card_attempt(self: Any) -> None:
        """Forget what an earlier card of this transaction left: its PAN, PIN block, kernel."""
        w = self.work
        w.pan, w.card, w.kernel, w.first, w.final = "", None, None, None, None
        self.pin_block = None
        pending, self.pending_pin = getattr(self, "pending_pin", None), None
        if pending is not None:
            pending[:] = bytes(len(pending))
        self.pin_cancelled = False
        self.pin_fault = None

    def raise_pin_fault(self: Any) -> None:
        """A PIN-key failure inside a kernel callback ended the kernel; the terminal faults on it here."""
        fault, self.pin_fault = self.pin_fault, None
        if fault is not None:
            raise fault

    def run_chip(self: Any) -> None:
        self.fresh_card_attempt()
        w = self.work
        w.entry = "chip"
        self.show("txn_online", ("读卡中 请勿拔卡", "READING CARD, DO NOT REMOVE"))
        try:
            self.dev.reader.power_on(2.0)
        except PosError as exc:  # a driver error: the chip could not be read
            log.info("chip power-on failed: %s", type(exc).__name__)
            self.chip_failed()
            return
        rng = random.Random(self.settings.random_seed) if self.settings.random_seed is not None else None
        kernel = ContactKernel(
            self.params,
            self.capks,
            self.dev.reader.transmit,
            TerminalCardholder(self),
            rng=rng,
            recent_amount=lambda pan: int(self.journal.recent_amount(pan.hex().upper().rstrip("F"))),
        )
        w.kernel = kernel
        result = kernel.start(self.kernel_transaction())
        w.first = result
        self.raise_pin_fault()
        w.pan = result.card.get(0x5A, b"").hex().upper().rstrip("F")
        if self.pin_cancelled:
            self.cancel_card(result)
            return
        if result.outcome is Outcome.FALLBACK_MAGSTRIPE:
            self.chip_failed()
            return
        if result.outcome is Outcome.TERMINATED:
            self.message = ("读卡失败 " + result.reason[:20], "CARD ERROR: " + result.reason[:30])
            self.enter_capture()
            return
        self.work.card = self.chip_card_data(result)
        if result.outcome is Outcome.GO_ONLINE:
            self.next_step("pin")
            return
        self.record_offline(result)

    def kernel_transaction(self: Any) -> Transaction:
        """The transaction the kernel runs: amount, time, the trace number as 9F41, the 9C type."""
        w = self.work
        return Transaction(
            amount_minor=w.amount,
            when=self.now.replace(microsecond=0),
            sequence_counter=self.txn_trace(),
            transaction_type=TXN_TYPE.get(w.kind, 0x00),
        )

    def cancel_card(self: Any, result: KernelResult) -> None:
        """The cardholder cancelled (or let time run out) at the PIN: the kernel stopped there (the
        callback raised :class:`CardholderCancelledError`, so no GENERATE AC was sent) and the transaction is
        abandoned. A kernel that still reached GO_ONLINE gets its AAC."""
        w = self.work
        if result.outcome is Outcome.GO_ONLINE and w.kernel is not None:
            w.final = w.kernel.complete(HostReply(b"Z3"))
        self.message = ("交易已取消", "TRANSACTION CANCELLED")
        self.abandon_txn("PIN entry cancelled")
        self.trigger("cancel")

    def chip_failed(self: Any) -> None:
        self.work.chip_failed = True
        fallback = ("IC卡读取失败 请刷卡", "CHIP FAILED, SWIPE THE CARD")
        self.message = fallback if self.settings.allow_fallback else ("读卡失败", "CARD ERROR")
        self.enter_capture()

    def chip_card_data(self: Any, result: KernelResult) -> rq.CardData:
        card = result.card
        track2 = card.get(0x57, b"").hex().upper().rstrip("F") or None
        expiry = card.get(0x5F24, b"").hex()[:4] or None
        psn = card.get(0x5F34, b"").hex() or None
        icc = tlv.encode(list(result.field55.items()))
        mode = "051" if self.pin_block is not None else "052"  # f22: IC card, PIN entered (1) or not (2)
        return rq.CardData(pan=self.work.pan, track2=track2, expiry=expiry, psn=psn, icc=icc,
                           pin_block=self.pin_block, entry_mode=mode)  # fmt: skip

    def run_contactless(self: Any) -> None:
        """A tap: the contactless Entry Point and kernel (qPBOC/qVSDC or C-2); "remove card" is shown as
        soon as the card's part is done, before the online authorisation."""
        from emv.kernel.contactless import ContactlessKernel

        self.fresh_card_attempt()
        w = self.work
        w.entry = "tap"
        self.show("txn_online", ("请勿移开卡片", "KEEP THE CARD STILL"))
        try:
            self.dev.contactless.activate(1.0)
        except PosError as exc:  # no card in the field after all, or activation failed
            log.info("contactless activation failed: %s", type(exc).__name__)
            self.message = ("请重新挥卡", "TAP AGAIN")
            self.enter_capture()
            return
        kernel = ContactlessKernel(
            self.params, self.capks, self.dev.contactless.transmit, TerminalCardholder(self),
            on_card_removable=lambda: self.show("txn_remove_card"),
        )  # fmt: skip
        w.kernel = kernel
        result = kernel.start(self.kernel_transaction())
        w.first = result
        self.raise_pin_fault()
        w.pan = result.card.get(0x5A, b"").hex().upper().rstrip("F")
        if not w.pan and result.card.get(0x57):
            w.pan = result.card[0x57].hex().upper().split("D")[0]
        if self.pin_cancelled:
            self.cancel_card(result)
            return
        pending, self.pending_pin = getattr(self, "pending_pin", None), None
        if pending is not None:
            self.capture_online_pin(pending) if w.pan else pending.__setitem__(
                slice(None), bytes(len(pending))
            )
        if result.outcome is Outcome.TRY_ANOTHER_INTERFACE:
            self.message = ("请插卡或刷卡", "PLEASE INSERT OR SWIPE THE CARD")
            self.enter_capture()
            return
        if result.outcome in (Outcome.TERMINATED, Outcome.FALLBACK_MAGSTRIPE):
            see_phone = getattr(result, "restart", False)
            self.message = ("请查看手机后重新挥卡", "SEE PHONE, THEN TAP AGAIN") if see_phone else (
                "读卡失败 请重新挥卡", "CARD ERROR, TAP AGAIN")  # fmt: skip
            self.enter_capture()
            return
        card = self.chip_card_data(result)
        mode = "071" if self.pin_block else "072"  # f22: contactless, PIN entered or not
        w.card = rq.CardData(pan=card.pan, track2=card.track2, expiry=card.expiry, psn=card.psn, icc=card.icc,
                             pin_block=self.pin_block, entry_mode=mode)  # fmt: skip
        if result.outcome is Outcome.GO_ONLINE:
            self.next_step("pin")
            return
        self.record_offline(result)

    def on_swipe(self: Any, swipe: Any) -> None:
        if self.state == "idle":
            self.begin("sale")
        if self.state != "txn_capture":
            return
        track = getattr(swipe, "track2", None)
        if swipe.kind != "swipe" or track is None:
            self.message = ("读卡失败 请重刷", "READ ERROR, SWIPE AGAIN")
            self.enter_capture()
            return
        from emv.track import swipe_decision

        decision = swipe_decision(track, chip_read_failed=self.work.chip_failed)
        if decision == "insert_chip" or (decision == "fallback" and not self.settings.allow_fallback):
            self.message = ("请插入IC卡", "CHIP CARD: PLEASE INSERT")
            self.show("txn_insert_chip")
            return
        self.fresh_card_attempt()
        w = self.work
        w.entry = "fallback" if decision == "fallback" else "swipe"
        w.pan = track.pan.digits
        text = f"{w.pan}D{track.expiry_yymm}{track.service_code.digits}{track.discretionary}"
        w.card = rq.CardData(pan=w.pan, track2=text, expiry=track.expiry_yymm, entry_mode="021")
        self.next_step("capture")

    def on_removed(self: Any, _how: str) -> None:
        if self.state == "txn_result" or self.state == "idle":
            return
        if self.state.startswith("txn") and self.work.entry == "chip" and self.work.final is None:
            log.info("card removed during the transaction")

    # -- online ---------------------------------------------------------------------------------------

    def on_enter_txn_pin(self: Any) -> None:
        self.pin_cancelled = False
        digits = self.read_pin(("请输入密码", "ENTER PIN"))
        if self.pin_cancelled:
            self.message = ("交易已取消", "TRANSACTION CANCELLED")
            self.abandon_txn("PIN entry cancelled")
            self.trigger("cancel")
            return
        if digits is not None:
            self.capture_online_pin(digits)
        if self.work.card is not None:
            self.work.card = rq.CardData(
                pan=self.work.card.pan, track2=self.work.card.track2, expiry=self.work.card.expiry,
                psn=self.work.card.psn, icc=self.work.card.icc, pin_block=self.pin_block,
                entry_mode=self.work.card.entry_mode[:2] + ("1" if self.pin_block else "2"),
            )  # fmt: skip
        self.next_step("pin")

    def build_request(self: Any, trace: int) -> Any:
        w = self.work
        o = w.original
        if o is not None and w.kind in ("void", "refund", "completion"):  # keyed from the original's PAN
            card = rq.CardData(pan=self.journal.reveal_pan(o.id), entry_mode="012")
        else:
            card = w.card or rq.CardData()
        msg = request_for(w.kind, self.terminal_id(), trace, self.journal.batch, w.amount, card, o, w.code)
        if w.entry == "fallback":
            f60 = Field60.from_field(str(msg.get(60)))
            msg = msg.with_fields({60: dataclasses.replace(f60, ic_condition=2).to_field()})
        return msg

    def on_enter_txn_online(self: Any) -> None:
        w = self.work
        self.show("txn_online", facts={"amount": yuan(w.amount), "kind": w.kind})
        self.start_timer(None)
        if self.auth.needs_sign_on and not self.sign_on():
            self.finish_online("", None, "network")
            return
        self.auth.send_pending_reversals()
        if w.kind in ("void", "refund", "completion"):
            w.pan = ""  # the original's PAN stays encrypted in the journal
        trace = self.txn_trace()
        try:
            request = self.build_request(trace)
        except (PosError, ValueError) as exc:  # a field the profile rejects: nothing was sent
            log.warning("request not built: %s", type(exc).__name__)
            self.finish_online("", None, "terminal")
            return
        pan = w.pan or (self.journal.reveal_pan(w.original.id) if w.original is not None else "")
        entry = {"fallback": "fallback"}.get(w.entry, w.entry or ("manual" if w.original else "qr"))
        try:
            result = self.auth.authorise(
                w.kind, request, w.amount, pan, entry, operator=self.operator,
                original_id=w.original.id if w.original is not None else None,
            )  # fmt: skip
        except Iso8583Error as exc:  # the request would not encode: nothing was journalled or sent
            log.warning("request not encoded: %s", exc)
            self.message = ("终端故障 交易未发送", "TERMINAL ERROR: NOT SENT")
            self.finish_online("", None, "terminal")
            return
        except PosError as exc:  # the journal refused: a reversal is still pending
            log.warning("not sent: %s", exc)
            self.message = ("有冲正未完成 请稍后重试", "A REVERSAL IS PENDING, TRY LATER")
            self.finish_online("", None, "reversal")
            return
        w.txn_id = result.txn_id
        if result.reply is None:
            self.finish_card()  # the second GENERATE AC first: the reversal carries the card's final data
            if self.journal.pending_reversal_of(result.txn_id):
                record = self.final_request_record(result.txn_id)
                if record is not None:
                    self.journal.update_request(result.txn_id, record)
            if result.error == "mac":
                self.sign_on()  # new keys; a successful sign-on sends the pending reversal itself
            self.auth.send_pending_reversals()
            self.finish_online("", None, result.error or "network")
            return
        self.complete_online(result)

    def finish_card(self: Any) -> None:
        """A chip or tap card waiting for its second GENERATE AC with no usable answer from the host gets
        it with 8A = Z3 ("unable to go online", Book 4 A6): online-only, so it returns an AAC."""
        w = self.work
        first = w.first
        if (
            w.kernel is not None
            and first is not None
            and first.outcome is Outcome.GO_ONLINE
            and w.final is None
        ):
            w.final = w.kernel.complete(HostReply(b"Z3"))

    def final_request_record(self: Any, txn_id: int) -> str | None:
        """The recorded request with the reversal's field 55 from the card's final data, if both exist."""
        record = self.journal.original_request(txn_id)
        final = self.work.final
        if record is None or final is None:
            return None
        icc = {**final.field55, **({0xDF31: final.script_results} if final.script_results else {})}
        return str(with_reversal_icc(record, icc))

    def complete_online(self: Any, result: Any) -> None:
        w = self.work
        reply = result.reply
        code = result.response_code
        approved = HostReply(code.encode("ascii", "replace")).approved  # the kernel's predicate: 00, 11
        reversal = None
        if w.kernel is not None and w.first is not None and w.first.outcome is Outcome.GO_ONLINE:
            icc = reply.get(55)
            issuer_data = scripts = b""
            if isinstance(icc, bytes) and icc:
                try:
                    d = tlv.decode(icc)
                    issuer_data = d.find(0x91) or b""
                    scripts = b"".join(
                        tlv.encode([(n.tag, n.value)]) for n in d.top() if n.tag in (0x71, 0x72)
                    )
                except tlv.TlvError:
                    log.warning("field 55 of the reply is malformed")
            final = w.kernel.complete(HostReply(code.encode("ascii") or b"05", issuer_data or None, scripts))
            w.final = final
            if final.reversal_needed or (approved and final.outcome is not Outcome.APPROVED_ONLINE):
                approved, reversal = False, "06"  # the card declined (or was gone) after the host approved
        if (
            code == "10"
        ):  # a partial approval, though 60.6 says the terminal takes none: hold nothing, reverse it
            approved, reversal = False, "06"
        w.emv = self.emv_facts()
        state = "approved" if approved else "declined"
        rrn, auth_code = reply.get(37), reply.get(38)
        mark = {"void": "voided", "completion": "completed"}.get(w.kind) if approved else None
        self.journal.record_outcome(
            result.txn_id, state, response_code=code, rrn=rrn if isinstance(rrn, str) else None,
            auth_code=auth_code if isinstance(auth_code, str) else None, emv=json.dumps(w.emv),
            signature=bool(w.final and w.final.signature_required), reversal_reason=reversal,
            original=(w.original.id, mark) if mark and w.original is not None else None,
            request=self.final_request_record(result.txn_id) if reversal is not None else None,
        )  # fmt: skip
        if reversal is not None:
            self.auth.send_pending_reversals()
        balance = reply.get(54) if w.kind == "balance" else None
        self.finish_online(code, balance, "")

    def finish_online(self: Any, code: str, balance: Any, error: str) -> None:
        w = self.work
        self.finish_card()
        w.response_code = code or {"timeout": "98", "mac": "A0", "network": "NC"}.get(error, "96")
        w.approved = HostReply(code.encode("ascii", "replace")).approved and (
            w.final is None or w.final.outcome in (Outcome.APPROVED_ONLINE, Outcome.APPROVED_OFFLINE)
        )
        w.balance = balance
        self.trigger("goto_result")

    def emv_facts(self: Any) -> dict[str, str]:
        """The kernel's receipt data objects (AID, label, cryptogram, TVR, TSI, CVM results, ATC) as the
        journal keeps them: hex tag to hex value, never the PAN or track data."""
        from terminal.receipts import emv_fields

        r = self.work.final or self.work.first
        return emv_fields(r.receipt) if r is not None else {}

    def record_offline(self: Any, result: KernelResult) -> None:
        w = self.work
        approved = result.outcome is Outcome.APPROVED_OFFLINE
        w.final = result
        w.emv = self.emv_facts()
        w.txn_id = self.journal.record_offline(
            w.kind, "approved" if approved else "declined", w.amount, 156, w.pan, w.entry or "chip",
            trace=self.txn_trace(), emv=json.dumps(w.emv), signature=result.signature_required,
            operator=self.operator,
        )  # fmt: skip
        w.approved = approved
        w.response_code = "Y1" if approved else "Z1"
        self.trigger("goto_result")

    # -- QR -------------------------------------------------------------------------------------------

    def on_enter_txn_scan(self: Any) -> None:
        self.start_timer(self.settings.card_timeout_s)
        self.show("txn_scan", facts={"amount": yuan(self.work.amount)})

    def on_qr(self: Any, code: str) -> None:
        if self.state != "txn_scan":
            return
        from emv.cpm import classify_code
        from emv.errors import EmvError

        try:
            classify_code(code)
        except EmvError as exc:
            self.message = ("无法识别的付款码 请重扫", "UNKNOWN PAYMENT CODE, SCAN AGAIN")
            log.info("scanned code rejected: %s", getattr(exc, "reason", "invalid"))
            self.on_enter_txn_scan()
            return
        self.work.code = code
        self.work.entry = "qr"
        self.next_step("scan")

    def on_enter_txn_qr(self: Any) -> None:
        w = self.work
        tid, trace = self.terminal_id(), self.journal.next_trace()
        try:
            reply = self.dev.host.transact(rq.qr_order_create(tid, trace, self.journal.batch, w.amount))
        except PosError as exc:
            log.warning("QR order not created: %s", type(exc).__name__)
            self.finish_online("", None, "network")
            return
        payload = reply.get(62)
        w.qr_ref = str(reply.get(37) or "")
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload or "")
        w.qr_payload = text
        w.qr_deadline = self.dev.clock.monotonic() + self.settings.qr_timeout_s
        self.start_timer(self.settings.qr_poll_s)
        self.show("txn_qr", facts={"amount": yuan(w.amount), "qr": text, "ref": w.qr_ref})

    def poll_qr(self: Any, final: bool = False) -> bool:
        """Ask the host whether the shown order was paid (every ``qr_poll_s``). When the cashier cancels
        (``final``) or ``qr_timeout_s`` has passed, close the order instead: the host answers as a query
        if it was paid at the last moment (the sale stands), and no wallet can pay it afterwards. True if
        paid."""
        w = self.work
        tid = self.terminal_id()
        closing = final or self.dev.clock.monotonic() >= w.qr_deadline
        build = rq.qr_order_close if closing else rq.qr_order_query
        reply = None
        for _attempt in range(2 if closing else 1):  # a close is safe to repeat: once more if it failed
            try:
                reply = self.dev.host.transact(
                    build(tid, self.journal.next_trace(), self.journal.batch, w.qr_ref)
                )
                break
            except PosError as exc:
                log.info("QR %s failed: %s", "close" if closing else "query", type(exc).__name__)
        if closing and reply is None:  # the host expires it (wallet ORDER_TTL_S); until then it is payable
            log.warning("QR order %s: its close was not confirmed by the host", w.qr_ref)
        code = reply.get(39) if reply is not None else None
        if reply is not None and code == "00":
            w.txn_id = self.journal.record_offline(
                "qr_sale", "approved", w.amount, 156, "", "qr", trace=int(str(reply.get(11) or 0)),
                operator=self.operator, rrn=w.qr_ref, forward=False,
            )  # fmt: skip
            self.finish_online("00", None, "")
            return True
        if final:
            return False
        if closing:
            self.finish_online("", None, "timeout")
            return False
        if code in ("12", "25"):  # the host closed the order (expired) or does not know it: stop waiting
            self.finish_online(str(code), None, "")
            return False
        self.start_timer(self.settings.qr_poll_s)
        return False

    # -- result and receipt ---------------------------------------------------------------------------

    def on_enter_txn_result(self: Any) -> None:
        w = self.work
        code = w.response_code
        text = RC_TEXT.get(code, (f"交易失败 {code}", f"DECLINED {code}"))
        if not w.approved and code == "00":
            text = ("交易失败 卡片拒绝", "DECLINED BY THE CARD")
        if w.approved and w.kind != "balance":
            text = RC_TEXT["00"]
        facts = {"outcome": "approved" if w.approved else "declined", "code": code, "amount": yuan(w.amount),
                 "kind": w.kind}  # fmt: skip
        lines = [text, (f"金额 RMB {yuan(w.amount)}", f"AMOUNT RMB {yuan(w.amount)}")]
        if w.kind == "balance" and w.approved and getattr(w, "balance", None):
            lines.append((f"余额 {w.balance}", f"BALANCE {w.balance}"))
            facts["balance"] = str(w.balance)
        self.show("txn_result", *lines, facts=facts)
        if w.approved and "receipt" in w.steps:
            self.next_step("result")
        else:
            self.trigger("done")

    def on_enter_txn_receipt(self: Any) -> None:
        self.show("txn_receipt")
        if self.work.txn_id is not None and not self.print_txn(self.work.txn_id):
            return
        self.trigger("done")
