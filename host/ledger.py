"""The issuer's decisions and the transactions' effects on accounts, as the host simulator applies them
(DOMAIN_FACTS section A, transaction table and response codes; EMV 4.4 Book 2 8.1-8.2 for the ARQC/ARPC).

Each entry point takes a decoded :class:`Request` and returns a :class:`Decision`: the response code and
the reply fields it adds (RRN 37, authorisation code 38, ICC data 55, balance 54, card organisation 63).
Checks, in order, for a card transaction: the card is known (14), its ARQC verifies when field 55 carries
one (:data:`host.issuer.BAD_CRYPTOGRAM` otherwise, no ARPC), it is not lost (41), stolen (43) or blocked
(57), not expired (54), the online PIN block of field 52 (ISO 9564 format 0 under the session PIK) holds
its PIN (55; 75 once the tries are used up; 99 for a block that does not decode); then the amount (13),
the single-transaction limit (61) and the funds (51). With a verified ARQC the reply carries tag 91 for
every response code, so the card can check the issuer's answer, and a pending issuer script
(:mod:`host.scripts`).

Every approval and decline is recorded (:class:`host.records.Txn`) with its effect on the account
(``balance_delta``, ``hold_delta``), which is what a void, a completion or a reversal undoes. Duplicates
(the same terminal, trace, amount and MTI in the batch) get 94 and change nothing. A reversal finds its
original by terminal, trace (field 11) and amount: unknown → 25 and no change; already reversed → 00 and
no change. Longer than STYLE.md's 400 lines: the card checks and the ten transaction types (each 10 to
25 lines) share the recording and the effect bookkeeping, and read best side by side.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from emv import tlv
from emv.cards.cvn import CARD_CRYPTOGRAMS
from emv.crypto import des
from emv.crypto.errors import CryptoError
from emv.crypto.pinblock import decode_pin_block
from emv.errors import TlvError
from emv.redact import mask_pan
from host.errors import Iso8583Error
from host.fields import OriginalTransaction
from host.issuer import BAD_CRYPTOGRAM, CardKeys, check_arqc, issuer_auth_data
from host.protocol import FieldValue, Message
from host.records import (
    Account,
    Card,
    CardStatus,
    OrderStatus,
    TerminalRecord,
    Txn,
    TxnKind,
    TxnStatus,
    hash_pan,
    hash_pin,
)
from host.scripts import build_script
from host.store import Store
from host.wallet import Wallets, masked_code

__all__ = ["Decision", "Ledger", "Request", "pan_of"]

log = logging.getLogger(__name__)

_STATUS_CODES = {CardStatus.LOST: "41", CardStatus.STOLEN: "43", CardStatus.BLOCKED: "57"}


@dataclass(slots=True)
class Request:
    """A decoded financial request and what the acquirer already knows about it."""

    msg: Message
    terminal: TerminalRecord
    trace: int
    batch: int
    amount_fen: int
    now: dt.datetime


@dataclass(slots=True)
class Decision:
    code: str
    fields: dict[int, FieldValue] = field(default_factory=dict)


@dataclass(slots=True)
class _Check:
    """The outcome of the card checks."""

    code: str
    card: Card | None = None
    pan: str | None = None
    account: Account | None = None
    keys: CardKeys | None = None  # set when the ARQC verified
    icc: dict[int, bytes] | None = None


def pan_of(msg: Message) -> str | None:
    """The PAN of field 2, else the PAN part of track 2 (field 35), else None."""
    pan = msg.get(2)
    if isinstance(pan, str):
        return pan
    track = msg.get(35)
    if isinstance(track, str):
        return track.partition("D")[0] or None
    return None


def _card_org(pan: str | None) -> bytes:
    if pan is None or pan.startswith("62"):
        return b"CUP"
    return {"4": b"VIS", "5": b"MCC", "3": b"JCB"}.get(pan[:1], b"CUP")


class Ledger:
    """The financial transactions of the host simulator, on top of the store."""

    def __init__(self, store: Store, wallets: Wallets) -> None:
        self.store = store
        self.wallets = wallets

    # ----------------------------------------------------------------------------------------------------
    # Card checks
    # ----------------------------------------------------------------------------------------------------

    def _check_card(self, r: Request) -> _Check:
        pan = pan_of(r.msg)
        card = self.store.cards.get(pan) if pan else None
        if card is None or pan is None:
            return _Check("14", pan=pan)
        check = _Check("00", card, pan, self.store.accounts.get(card.account_id))
        f55 = r.msg.get(55)
        if isinstance(f55, bytes):
            try:
                check.icc = tlv.parse(f55)
            except TlvError as exc:
                raise Iso8583Error(f"ICC data: {exc.reason}", field=55) from None
            if 0x9F26 in check.icc:
                keys = self.store.issuer_keys[card.issuer_key]
                card_keys = CardKeys(pan, card.psn, keys.imk_ac, CARD_CRYPTOGRAMS[keys.cryptogram].version)
                if not check_arqc(card_keys, check.icc):
                    log.warning("ARQC does not verify: card %s, terminal %s", mask_pan(pan), r.terminal.tid)
                    check.code = BAD_CRYPTOGRAM
                    return check
                check.keys = card_keys
        status_code = _STATUS_CODES.get(CardStatus(card.status)) if card.status != CardStatus.ACTIVE else None
        if status_code is not None:
            check.code = status_code
        elif card.expiry < r.now.strftime("%y%m"):
            check.code = "54"
        elif r.msg.get(52) is not None:
            check.code = self._check_pin(r, card, pan)
        if check.account is None and check.code == "00":
            check.code = "14"
        return check

    def _check_pin(self, r: Request, card: Card, pan: str) -> str:
        if card.pin_failures >= card.pin_try_limit:
            return "75"
        block, pik = r.msg.get(52), r.terminal.pik
        if not isinstance(block, bytes) or pik is None:
            return "99"
        try:
            pin = decode_pin_block(des.decrypt_ecb(pik, block), pan)
        except CryptoError:
            return "99"
        if hash_pin(pan, pin) == card.pin_check:
            if card.pin_failures:
                card.pin_failures = 0
                self.store.save_card(card)
            return "00"
        card.pin_failures += 1
        self.store.save_card(card)
        return "75" if card.pin_failures >= card.pin_try_limit else "55"

    def _icc_reply(self, check: _Check, code: str) -> dict[int, FieldValue]:
        """Field 55 of the reply: tag 91 for a verified ARQC, and a pending issuer script."""
        if check.keys is None or check.icc is None:
            return {}
        data = tlv.encode([(0x91, issuer_auth_data(check.keys, check.icc, code))])
        card = check.card
        if card is not None and card.pending_script and code == "00":
            keys = self.store.issuer_keys[card.issuer_key]
            try:
                data += build_script(card.pending_script, card, keys, check.icc[0x9F36], check.icc[0x9F26])
            except (ValueError, CryptoError) as exc:
                log.warning("issuer script %r not sent: %s", card.pending_script, exc)
            card.pending_script = None
            self.store.save_card(card)
        return {55: data}

    @staticmethod
    def _amount_code(account: Account, amount_fen: int, *, needs_funds: bool = True) -> str:
        if amount_fen <= 0:
            return "13"
        if account.limit_fen and amount_fen > account.limit_fen:
            return "61"
        if needs_funds and account.available_fen < amount_fen:
            return "51"
        return "00"

    # ----------------------------------------------------------------------------------------------------
    # Recording
    # ----------------------------------------------------------------------------------------------------

    def _record(self, r: Request, kind: TxnKind, code: str, check: _Check | None, **values: object) -> Txn:
        pan = check.pan if check is not None else None
        account = check.account if check is not None else None
        values.setdefault("account_id", account.id if account is not None else "")
        values.setdefault("pan_hash", hash_pan(pan) if pan else "")
        values.setdefault("pan_masked", mask_pan(pan) if pan else "")
        values.setdefault("domestic", pan is None or pan.startswith("62"))
        values.setdefault("status", TxnStatus.ACTIVE if code == "00" else TxnStatus.DECLINED)
        return self.store.new_txn(
            tid=r.terminal.tid,
            mid=r.terminal.mid,
            batch=r.batch,
            trace=r.trace,
            kind=kind,
            mti=r.msg.mti,
            amount_fen=r.amount_fen,
            response_code=code,
            created=r.now.isoformat(timespec="seconds"),
            **values,
        )

    def _apply(self, account_id: str, balance_delta: int, hold_delta: int) -> None:
        account = self.store.accounts.get(account_id)
        if account is None:
            return
        account.balance_fen += balance_delta
        account.held_fen += hold_delta
        self.store.save_account(account)

    def _answer(self, txn: Txn, extra: dict[int, FieldValue]) -> Decision:
        out: dict[int, FieldValue] = {37: txn.rrn}
        if txn.response_code == "00":
            out[38] = txn.auth_code
        out.update(extra)
        return Decision(txn.response_code, out)

    def is_duplicate(self, r: Request) -> bool:
        """The same terminal, trace, amount and MTI already in this batch (response 94)."""
        for t in self.store.by_trace.get((r.terminal.tid, r.trace), ()):
            if t.batch == r.batch and t.amount_fen == r.amount_fen and t.mti == r.msg.mti:
                return True
        return False

    # ----------------------------------------------------------------------------------------------------
    # Card transactions
    # ----------------------------------------------------------------------------------------------------

    def balance(self, r: Request) -> Decision:
        check = self._check_card(r)
        extra: dict[int, FieldValue] = {63: _card_org(check.pan)}
        if check.code == "00" and check.account is not None:
            fen = check.account.available_fen
            extra[54] = f"1002156{'C' if fen >= 0 else 'D'}{abs(fen):012d}"
        extra.update(self._icc_reply(check, check.code))
        txn = self._record(r, TxnKind.BALANCE, check.code, check)
        return self._answer(txn, extra)

    def purchase(self, r: Request) -> Decision:
        entry = r.msg.get(22)
        if isinstance(entry, str) and entry.startswith("03"):
            return self._qr_purchase(r)
        return self._debit(r, TxnKind.PURCHASE, hold=False)

    def pre_auth(self, r: Request) -> Decision:
        return self._debit(r, TxnKind.PRE_AUTH, hold=True)

    def _debit(self, r: Request, kind: TxnKind, *, hold: bool) -> Decision:
        check = self._check_card(r)
        code = check.code
        if code == "00" and check.account is not None:
            code = self._amount_code(check.account, r.amount_fen)
        extra = {63: _card_org(check.pan), **self._icc_reply(check, code)}
        delta = (0, r.amount_fen) if hold else (-r.amount_fen, 0)
        if code == "00" and check.account is not None:
            self._apply(check.account.id, *delta)
        else:
            delta = (0, 0)
        txn = self._record(r, kind, code, check, balance_delta=delta[0], hold_delta=delta[1])
        return self._answer(txn, extra)

    def _qr_purchase(self, r: Request) -> Decision:
        code_text = r.msg.get(59)
        account = self.wallets.spend_code(code_text) if isinstance(code_text, str) else None
        masked = masked_code(code_text) if isinstance(code_text, str) else ""
        code = "14" if account is None else self._amount_code(account, r.amount_fen)
        delta = -r.amount_fen if code == "00" and account is not None else 0
        if account is not None and delta:
            self._apply(account.id, delta, 0)
        txn = self._record(
            r,
            TxnKind.PURCHASE,
            code,
            None,
            account_id=account.id if account else "",
            pan_masked=masked,
            balance_delta=delta,
        )
        return self._answer(txn, {63: b"CUP"})

    # ----------------------------------------------------------------------------------------------------
    # Voids, completions, refunds: transactions that refer to an original
    # ----------------------------------------------------------------------------------------------------

    def _original(self, r: Request, kinds: tuple[TxnKind, ...], *, same_batch: bool) -> Txn | None:
        """The original a follow-up names by RRN (field 37), else by field 61 (batch, trace)."""
        rrn = r.msg.get(37)
        if isinstance(rrn, str) and rrn in self.store.by_rrn:
            t = self.store.by_rrn[rrn]
            candidates = [t] if t.tid == r.terminal.tid else []
        else:
            f61 = r.msg.get(61)
            if not isinstance(f61, str):
                return None
            orig = OriginalTransaction.from_field(f61)
            candidates = [
                t for t in self.store.by_trace.get((r.terminal.tid, orig.trace), ()) if t.batch == orig.batch
            ]
        for t in reversed(candidates):
            if t.kind in kinds and t.response_code == "00" and (not same_batch or t.batch == r.batch):
                return t
        return None

    def _follow_up_card(self, r: Request, orig: Txn) -> str:
        """A follow-up that carries card data must name the original's card (14 otherwise)."""
        pan = pan_of(r.msg)
        if pan is not None and orig.pan_hash and hash_pan(pan) != orig.pan_hash:
            return "14"
        return "00"

    def void(self, r: Request) -> Decision:
        return self._cancel(r, TxnKind.VOID, (TxnKind.PURCHASE,))

    def completion_void(self, r: Request) -> Decision:
        return self._cancel(r, TxnKind.COMPLETION_VOID, (TxnKind.COMPLETION,))

    def _cancel(self, r: Request, kind: TxnKind, of: tuple[TxnKind, ...]) -> Decision:
        orig = self._original(r, of, same_batch=True)
        if orig is None:
            return Decision("25")
        code = "12" if orig.status != TxnStatus.ACTIVE else self._follow_up_card(r, orig)
        if code == "00" and r.amount_fen != orig.amount_fen:
            code = "13"
        delta = (-orig.balance_delta, -orig.hold_delta) if code == "00" else (0, 0)
        if code == "00":
            self._apply(orig.account_id, *delta)
            orig.status = TxnStatus.VOIDED
            self.store.save_txn(orig)
            pre = self.store.txns.get(orig.orig_id) if orig.orig_id else None
            if kind == TxnKind.COMPLETION_VOID and pre is not None:
                pre.status = TxnStatus.ACTIVE  # the hold is back
                self.store.save_txn(pre)
        txn = self._follow_up_record(r, kind, code, orig, delta)
        return self._answer(txn, {})

    def _follow_up_record(
        self, r: Request, kind: TxnKind, code: str, orig: Txn, delta: tuple[int, int]
    ) -> Txn:
        return self._record(
            r,
            kind,
            code,
            None,
            account_id=orig.account_id,
            pan_hash=orig.pan_hash,
            pan_masked=orig.pan_masked,
            domestic=orig.domestic,
            orig_id=orig.id,
            balance_delta=delta[0],
            hold_delta=delta[1],
        )

    def _pre_auth_of(self, r: Request) -> Txn | None:
        auth, f61 = r.msg.get(38), r.msg.get(61)
        trace = OriginalTransaction.from_field(f61).trace if isinstance(f61, str) else None
        for t in reversed(self.store.by_auth.get(auth, []) if isinstance(auth, str) else []):
            if t.tid == r.terminal.tid and (trace is None or t.trace == trace):
                return t
        return None

    def pre_auth_void(self, r: Request) -> Decision:
        pre = self._pre_auth_of(r)
        if pre is None:
            return Decision("25")
        code = "12" if pre.status != TxnStatus.ACTIVE else self._follow_up_card(r, pre)
        if code == "00" and r.amount_fen != pre.amount_fen:
            code = "13"
        delta = (0, -pre.hold_delta) if code == "00" else (0, 0)
        if code == "00":
            self._apply(pre.account_id, *delta)
            pre.status = TxnStatus.VOIDED
            self.store.save_txn(pre)
        return self._answer(self._follow_up_record(r, TxnKind.PRE_AUTH_VOID, code, pre, delta), {})

    def completion(self, r: Request) -> Decision:
        pre = self._pre_auth_of(r)
        if pre is None:
            return Decision("25")
        code = "12" if pre.status != TxnStatus.ACTIVE else self._follow_up_card(r, pre)
        if code == "00" and not 0 < r.amount_fen <= pre.amount_fen:
            code = "13"
        delta = (-r.amount_fen, -pre.hold_delta) if code == "00" else (0, 0)
        if code == "00":
            self._apply(pre.account_id, *delta)
            pre.status = TxnStatus.COMPLETED
            self.store.save_txn(pre)
        return self._answer(self._follow_up_record(r, TxnKind.COMPLETION, code, pre, delta), {})

    def refund(self, r: Request) -> Decision:
        orig = self._original(r, (TxnKind.PURCHASE, TxnKind.COMPLETION, TxnKind.QR_ORDER), same_batch=False)
        if orig is None:
            return Decision("25")
        code = "12" if orig.status != TxnStatus.ACTIVE else self._follow_up_card(r, orig)
        if code == "00" and not 0 < r.amount_fen <= orig.amount_fen - orig.refunded_fen:
            code = "13"
        delta = (r.amount_fen, 0) if code == "00" else (0, 0)
        if code == "00":
            self._apply(orig.account_id, *delta)
            orig.refunded_fen += r.amount_fen
            self.store.save_txn(orig)
        return self._answer(self._follow_up_record(r, TxnKind.REFUND, code, orig, delta), {})

    # ----------------------------------------------------------------------------------------------------
    # Reversal
    # ----------------------------------------------------------------------------------------------------

    def reverse(self, r: Request) -> Decision:
        """Undo the original named by trace and amount; idempotent (see the module docstring)."""
        orig = None
        for t in reversed(self.store.by_trace.get((r.terminal.tid, r.trace), ())):
            if t.mti in ("0100", "0200") and t.amount_fen == r.amount_fen and t.batch == r.batch:
                orig = t
                break
        if orig is None:
            return Decision("25")
        if orig.status == TxnStatus.ACTIVE and orig.response_code == "00":
            self._undo(orig)
            log.info("reversed transaction %d (terminal %s, trace %06d)", orig.id, orig.tid, orig.trace)
        return Decision("00", {37: orig.rrn})

    def _undo(self, t: Txn) -> None:
        self._apply(t.account_id, -t.balance_delta, -t.hold_delta)
        t.status = TxnStatus.REVERSED
        self.store.save_txn(t)
        orig = self.store.txns.get(t.orig_id) if t.orig_id else None
        if orig is None:
            return
        if t.kind in (TxnKind.VOID, TxnKind.PRE_AUTH_VOID, TxnKind.COMPLETION):
            orig.status = TxnStatus.ACTIVE
        elif t.kind == TxnKind.COMPLETION_VOID:
            orig.status = TxnStatus.ACTIVE
            pre = self.store.txns.get(orig.orig_id) if orig.orig_id else None
            if pre is not None:
                pre.status = TxnStatus.COMPLETED
                self.store.save_txn(pre)
        self.store.save_txn(orig)

    # ----------------------------------------------------------------------------------------------------
    # Merchant-presented QR orders
    # ----------------------------------------------------------------------------------------------------

    def qr_order_create(self, r: Request) -> Decision:
        if r.amount_fen <= 0:
            return Decision("13")
        n = len(self.store.orders) + 1
        while f"Q{n:011d}" in self.store.orders:
            n += 1
        ref = f"Q{n:011d}"
        payload = self.wallets.create_order(
            r.terminal.tid, r.terminal.mid, r.batch, r.trace, r.amount_fen, ref
        )
        return Decision("00", {37: ref, 62: payload.encode("utf-8")})

    def qr_order_close(self, r: Request) -> Decision:
        """Close a pending order (a wallet that tries to pay it later gets 12); a paid one answers as a
        query does, so the terminal records the payment it would otherwise miss."""
        ref = r.msg.get(37)
        order = self.store.orders.get(ref) if isinstance(ref, str) else None
        if order is None or order.tid != r.terminal.tid:
            return Decision("25")
        if order.status == OrderStatus.PENDING:
            order.status = OrderStatus.CLOSED
            self.store.save_order(order)
            return Decision("12", {37: order.ref})
        return self.qr_order_query(r)

    def qr_order_query(self, r: Request) -> Decision:
        ref = r.msg.get(37)
        order = self.store.orders.get(ref) if isinstance(ref, str) else None
        if order is None or order.tid != r.terminal.tid:
            return Decision("25")
        self.wallets.expire(order)
        if order.status == "pending":
            return Decision("09", {37: order.ref})
        txn = self.wallets.paid_txn(order)
        if order.status != "paid" or txn is None:
            return Decision("12", {37: order.ref})
        return Decision("00", {37: order.ref, 38: txn.auth_code, 4: f"{order.amount_fen:012d}"})
