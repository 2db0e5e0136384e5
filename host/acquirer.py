"""The acquirer's message handling: from a decoded request to the reply the simulator sends
(DOMAIN_FACTS section A: message types, transaction table, sign-on key block, settlement and batch upload).

:meth:`Acquirer.handle` checks the terminal (97 unknown, 03 wrong merchant) and the MAC of every request
but the sign-on and the 0820 network messages (A0 with processing requirement 3, "sign on again", when it
fails or the terminal holds no session keys), applies a matching fault rule (:mod:`host.faults`), and
routes by MTI, processing code (field 3) and type code (60.1):

=====================  ======================================================================================
0800 sign-on           new PIK and MAK (60.3 ``001`` single, ``003`` double, ``004`` double + TDK) under the
                       TMK with 4-byte check values in field 62; 60.2 the terminal's current batch
0820 sign-off / echo   60.3 ``002`` forgets the session keys; ``301`` answers 00
0820 60.3 ``901``      posemu admin (loopback peers only): a wallet pays the order named in field 37
0200 / 0100 / 0220     balance, purchase (entry mode 03: a scanned code), void, completion, completion void,
                       pre-auth, pre-auth void, refund, QR order create (``900000``), query
                       (``910000``) and close (``920000``)
0400 / 0420            reversal
0500                   settlement: field 48 compared with the host's batch totals, result 1 or 2
0320                   batch upload (60.3 ``201``) and its end (``202``/``206``/``207``, field 48 count)
0620                   script result upload, answered 00
=====================  ======================================================================================

A reply copies the request's fields 3, 4, 11, 25, 41, 42, 49 and 60, swaps the TPDU addresses, and adds
12, 13, 32, 39 and what the transaction adds. It is MAC'd when the request's MAC verified; the simulator
computes field 64 (:class:`Outcome` ``mac``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from emv.crypto import des
from host.errors import Iso8583Error
from host.faults import FaultAction, FaultRule, first_match
from host.fields import Field60, parse_amount
from host.keyblock import KeyBlock, wrap_key
from host.ledger import Decision, Ledger, Request, pan_of
from host.mac import CupEcbMac, build_mab
from host.protocol import FieldValue, Message, ProcessingRequirement, Tpdu, reply_tpdu
from host.records import BatchStatus, TerminalRecord
from host.seed import ServerSettings
from host.settlement import SettlementResult, SettlementTotals, Totals, parse_batch_count
from host.store import Store
from host.wallet import Wallets

__all__ = ["ADMIN_PAY_ORDER", "Acquirer", "Outcome", "response_mti"]

log = logging.getLogger(__name__)

ADMIN_PAY_ORDER = "901"  # posemu-private 60.3 of the admin message "a wallet pays this order" [U]
_COPIED = (3, 4, 11, 25, 41, 42, 49, 60)
_UNMACED = frozenset({"0800", "0820"})


@dataclass(slots=True)
class Outcome:
    """What to send back: a reply (None for none), the MAK to MAC it with, a fault to apply, or close."""

    reply: Message | None
    mac: CupEcbMac | None = None
    fault: FaultRule | None = None
    close: bool = False


def response_mti(mti: str) -> str:
    """The reply's MTI: the request's plus 10 (``0200`` → ``0210``).

    >>> response_mti("0200"), response_mti("0820")
    ('0210', '0830')
    """
    reply = _RESPONSE_MTIS.get(mti)
    return reply if reply is not None else f"{int(mti) + 10:04d}"


_RESPONSE_MTIS = {
    m: f"{int(m) + 10:04d}" for m in ("0100", "0200", "0220", "0320", "0400", "0500", "0800", "0820")
}


def _new_key(length: int) -> bytes:
    return des.adjust_parity(os.urandom(length))


class Acquirer:
    """Decides the reply to each request; runs on the simulator's event loop (no I/O here)."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.store = store
        self.settings = settings or ServerSettings()
        self.now = now
        self.wallets = Wallets(store, now)
        self.ledger = Ledger(store, self.wallets)
        self._macs: dict[str, tuple[bytes, CupEcbMac]] = {}
        self._tpdus: dict[Tpdu, Tpdu] = {}  # request TPDU -> reply TPDU (addresses swapped)

    # ----------------------------------------------------------------------------------------------------
    # Entry point
    # ----------------------------------------------------------------------------------------------------

    def handle(self, msg: Message, body: bytes | None = None, *, loopback: bool = True) -> Outcome:
        """The outcome for one decoded request; ``body`` is its bytes from the MTI on, for the MAC check.

        Never raises for a bad request: a field that does not parse is answered 30.
        """
        if msg.mti[2] not in "02":
            return Outcome(None, close=True)  # a reply or advice sent to the host: not a request
        try:
            return self._handle(msg, body, loopback)
        except Iso8583Error as exc:
            log.warning("format error in %s: %s", msg.mti, exc)
            return Outcome(self._reply(msg, "30"))

    def _handle(self, msg: Message, body: bytes | None, loopback: bool) -> Outcome:
        raw60 = msg.get(60)
        f60 = Field60.from_field(raw60) if isinstance(raw60, str) else None
        if msg.mti == "0820" and f60 is not None and f60.network_code == ADMIN_PAY_ORDER:
            return self._admin_pay(msg, loopback)
        tid = msg.get(41)
        terminal = self.store.terminals.get(tid) if isinstance(tid, str) else None
        if terminal is None:
            return Outcome(self._reply(msg, "97" if tid is not None else "30"))
        if msg.get(42) is not None and msg.get(42) != terminal.mid:
            return Outcome(self._reply(msg, "03"))
        mac_key = None
        if msg.mti not in _UNMACED:
            mac_key = self._mac_of(terminal)
            if mac_key is None or not self._mac_ok(mac_key, msg, body):
                log.warning("MAC check failed: terminal %s, %s trace %s", terminal.tid, msg.mti, msg.get(11))
                return Outcome(self._reply(msg, "A0", resign=True))
        fault = self._fault(msg, terminal.tid)
        if fault is not None and fault.action == FaultAction.RESPOND and fault.response_code:
            log.info("fault: answering %s with %s", msg.mti, fault.response_code)
            return Outcome(self._reply(msg, fault.response_code), mac_key)
        outcome = self._route(msg, terminal, f60, fault)
        outcome.mac = mac_key if outcome.reply is not None and outcome.reply.mti != "0810" else None
        if fault is not None and fault.action not in (FaultAction.RESPOND, FaultAction.UNBALANCED):
            outcome.fault = fault
        return outcome

    def _mac_of(self, terminal: TerminalRecord) -> CupEcbMac | None:
        """The terminal's MAK as a ready MAC context (made once per sign-on)."""
        if terminal.mak is None:
            return None
        cached = self._macs.get(terminal.tid)
        if cached is None or cached[0] != terminal.mak:
            cached = (terminal.mak, CupEcbMac(terminal.mak))
            self._macs[terminal.tid] = cached
        return cached[1]

    @staticmethod
    def _mac_ok(mak: CupEcbMac, msg: Message, body: bytes | None) -> bool:
        received = msg.get(64)
        if not isinstance(received, bytes):
            return False
        # a received message re-encodes to its own bytes, so the MAC block is the body without field 64
        mab = build_mab(msg) if body is None else body[:-8]
        return hmac.compare_digest(mak.mac(mab), received)

    def _fault(self, msg: Message, tid: str) -> FaultRule | None:
        if not self.store.faults:
            return None
        amount = msg.get(4)
        fen = int(amount) if isinstance(amount, str) and amount.isdigit() else None
        rule = first_match(self.store.faults.values(), msg.mti, tid, pan_of(msg), fen)
        if rule is not None and rule.remaining is not None:
            rule.remaining -= 1
            self.store.save_fault(rule)
        return rule

    def _route(
        self, msg: Message, terminal: TerminalRecord, f60: Field60 | None, fault: FaultRule | None
    ) -> Outcome:
        mti = msg.mti
        if mti == "0800":
            return self._sign_on(msg, terminal, f60)
        if mti == "0820":
            return self._network(msg, terminal, f60)
        if f60 is None or not isinstance(msg.get(11), str):
            raise Iso8583Error("request without field 11 or 60")
        if mti == "0500":
            return self._settle(msg, terminal, f60, fault)
        if mti == "0320":
            return self._batch_upload(msg, terminal, f60)
        if mti == "0620":
            return Outcome(self._reply(msg, "00"))
        handler = self._financial_handler(mti, msg.get(3), f60.type_code)
        if handler is None:
            return Outcome(self._reply(msg, "12"))
        amount = msg.get(4)
        r = Request(
            msg,
            terminal,
            int(str(msg[11])),
            f60.batch,
            parse_amount(amount) if isinstance(amount, str) else 0,
            self.now(),
        )
        if (
            mti in ("0100", "0200", "0220")
            and handler not in (Ledger.qr_order_query, Ledger.qr_order_close)
            and self.ledger.is_duplicate(r)
        ):
            return Outcome(self._reply(msg, "94"))
        decision: Decision = handler(self.ledger, r)
        log.debug("terminal %s %s trace %06d: %s", terminal.tid, mti, r.trace, decision.code)
        return Outcome(self._reply(msg, decision.code, decision.fields))

    @staticmethod
    def _financial_handler(
        mti: str, proc: FieldValue | None, type_code: str
    ) -> Callable[[Ledger, Request], Decision] | None:
        head = proc[:2] if isinstance(proc, str) else ""
        if mti in ("0400", "0420"):
            return Ledger.reverse
        routes: dict[tuple[str, str, str | None], Callable[[Ledger, Request], Decision]] = {
            ("0200", "31", None): Ledger.balance,
            ("0200", "00", "22"): Ledger.purchase,
            ("0200", "00", "20"): Ledger.completion,
            ("0200", "20", "23"): Ledger.void,
            ("0200", "20", "21"): Ledger.completion_void,
            ("0200", "90", None): Ledger.qr_order_create,
            ("0200", "91", None): Ledger.qr_order_query,
            ("0200", "92", None): Ledger.qr_order_close,
            ("0100", "03", "10"): Ledger.pre_auth,
            ("0100", "20", "11"): Ledger.pre_auth_void,
            ("0220", "20", "25"): Ledger.refund,
        }
        return routes.get((mti, head, type_code)) or routes.get((mti, head, None))

    # ----------------------------------------------------------------------------------------------------
    # Replies
    # ----------------------------------------------------------------------------------------------------

    def _reply(
        self, msg: Message, code: str, extra: dict[int, FieldValue] | None = None, *, resign: bool = False
    ) -> Message:
        now = self.now()
        fields: dict[int, FieldValue] = {n: msg.fields[n] for n in _COPIED if n in msg.fields}
        fields[12] = now.strftime("%H%M%S")
        fields[13] = now.strftime("%m%d")
        fields[32] = self.settings.acquirer_id
        fields[39] = code
        if extra:
            fields.update(extra)
        processing = ProcessingRequirement.SIGN_ON_AGAIN if resign else ProcessingRequirement.NONE
        return Message(
            response_mti(msg.mti), fields, reply_tpdu(msg.tpdu), replace(msg.header, processing=processing)
        )

    # ----------------------------------------------------------------------------------------------------
    # Network management
    # ----------------------------------------------------------------------------------------------------

    def _sign_on(self, msg: Message, terminal: TerminalRecord, f60: Field60 | None) -> Outcome:
        network = f60.network_code if f60 is not None else None
        if network not in ("001", "003", "004"):
            return Outcome(self._reply(msg, "12"))
        size = 8 if network == "001" else 16
        terminal.pik, terminal.mak = _new_key(size), _new_key(size)
        tdk = wrap_key(terminal.tmk, _new_key(size)) if network == "004" else None
        block = KeyBlock(wrap_key(terminal.tmk, terminal.pik), wrap_key(terminal.tmk, terminal.mak), tdk)
        batch = self.store.batch_of(terminal.tid, terminal.batch)
        if batch.status != BatchStatus.OPEN:  # settled but not yet moved on: open the next batch
            terminal.batch += 1
            self.store.save_terminal(terminal)
            self.store.batch_of(terminal.tid, terminal.batch)
        log.info("terminal %s signed on (batch %06d)", terminal.tid, terminal.batch)
        f60_reply = Field60("00", terminal.batch, network).to_field()
        rrn = f"{self.store.next_txn_id:012d}"
        return Outcome(self._reply(msg, "00", {37: rrn, 60: f60_reply, 62: block.to_field()}))

    def _network(self, msg: Message, terminal: TerminalRecord, f60: Field60 | None) -> Outcome:
        network = f60.network_code if f60 is not None else None
        if network == "002":
            terminal.pik = terminal.mak = None
            log.info("terminal %s signed off", terminal.tid)
            return Outcome(self._reply(msg, "00"))
        if network == "301":
            return Outcome(self._reply(msg, "00"))
        return Outcome(self._reply(msg, "12"))

    def _admin_pay(self, msg: Message, loopback: bool) -> Outcome:
        if not loopback:
            log.warning("admin message from a non-loopback peer refused")
            return Outcome(None, close=True)
        ref = msg.get(37)
        code = self.wallets.pay_order(ref) if isinstance(ref, str) else "30"
        return Outcome(self._reply(msg, code))

    # ----------------------------------------------------------------------------------------------------
    # Day end: settlement and batch upload
    # ----------------------------------------------------------------------------------------------------

    def _host_totals(self, tid: str, batch: int) -> tuple[Totals, Totals]:
        debits, credits = self.store.batch_totals(tid, batch)
        out = []
        for domestic in (True, False):
            d = [t.amount_fen for t in debits if t.domestic == domestic]
            c = [t.amount_fen for t in credits if t.domestic == domestic]
            out.append(Totals(sum(d), min(len(d), 999), sum(c), min(len(c), 999)))
        return out[0], out[1]

    def _settle(
        self, msg: Message, terminal: TerminalRecord, f60: Field60, fault: FaultRule | None
    ) -> Outcome:
        f48 = msg.get(48)
        if not isinstance(f48, str):
            raise Iso8583Error("settlement without field 48", field=48)
        theirs = SettlementTotals.from_field(f48)
        domestic, foreign = self._host_totals(terminal.tid, f60.batch)
        ok = SettlementResult.BALANCED
        bad = SettlementResult.NOT_BALANCED
        unbalanced = fault is not None and fault.action == FaultAction.UNBALANCED
        result = SettlementTotals(
            theirs.domestic,
            theirs.foreign,
            ok if domestic == theirs.domestic and not unbalanced else bad,
            ok if foreign == theirs.foreign else bad,
        )
        batch = self.store.batch_of(terminal.tid, f60.batch)
        batch.result = result.to_field()
        if result.balanced:
            self._close_batch(terminal, f60.batch)
        else:
            batch.status = BatchStatus.UPLOADING
            self.store.save_batch(batch)
        log.info(
            "terminal %s settlement of batch %06d: %s",
            terminal.tid,
            f60.batch,
            "balanced" if result.balanced else "not balanced",
        )
        return Outcome(self._reply(msg, "00", {15: self.now().strftime("%m%d"), 48: result.to_field()}))

    def _close_batch(self, terminal: TerminalRecord, number: int) -> None:
        batch = self.store.batch_of(terminal.tid, number)
        batch.status = BatchStatus.SETTLED
        self.store.save_batch(batch)
        if terminal.batch == number:
            terminal.batch = number + 1 if number < 999_999 else 1
            self.store.save_terminal(terminal)
            self.store.batch_of(terminal.tid, terminal.batch)

    def _batch_upload(self, msg: Message, terminal: TerminalRecord, f60: Field60) -> Outcome:
        network = f60.network_code or ""
        if network == "201":
            pan = pan_of(msg)
            amount = msg.get(4)
            self.store.add_upload(
                terminal.tid,
                f60.batch,
                int(str(msg[11])),
                parse_amount(amount) if isinstance(amount, str) else 0,
                f"{pan[:6]}******{pan[-4:]}" if pan and len(pan) >= 13 else "",
                network,
            )
            batch = self.store.batch_of(terminal.tid, f60.batch)
            batch.uploaded += 1
            self.store.save_batch(batch)
            return Outcome(self._reply(msg, "00"))
        if network in ("202", "206", "207"):
            f48 = msg.get(48)
            count = parse_batch_count(f48) if isinstance(f48, str) else None
            batch = self.store.batch_of(terminal.tid, f60.batch)
            log.info(
                "terminal %s batch %06d uploaded: %s of %s", terminal.tid, f60.batch, batch.uploaded, count
            )
            self._close_batch(terminal, f60.batch)
            return Outcome(self._reply(msg, "00"))
        return Outcome(self._reply(msg, "12"))
