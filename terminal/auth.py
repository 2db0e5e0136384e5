"""Online messages as steps with a durable order: reversal first, then prepare, send, commit or reverse
(DOMAIN_FACTS.md A: reversal record before the request, reasons 98 / A0 / 96 / 06, 3 tries then kept;
jPOS-style prepare/commit/abort participants, STYLE.md section 3).

:class:`Authoriser` wraps the host link and the journal: :meth:`Authoriser.send_pending_reversals` runs
before every online message; :meth:`Authoriser.authorise` journals the transaction and its reversal record,
sends the request and records the outcome, arming the reversal with the right reason when the answer is
missing, unreadable or its MAC is wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from drivers.host import HostError, HostMacError, HostTimeout, SocketHostLink
from emv import tlv
from host import requests as rq
from host.errors import Iso8583Error
from host.protocol import Message, encode_body
from terminal.journal import Journal, JournalError, Reversal, TxnRecord

log = logging.getLogger(__name__)

__all__ = ["REVERSIBLE", "AuthResult", "Authoriser", "request_for"]

REVERSIBLE = frozenset(
    {"sale", "void", "preauth", "preauth_void", "completion", "completion_void", "scan_sale"}
)
SECRET_FIELDS = (2, 35, 36, 52, 55, 64)  # never recorded: the PAN is kept encrypted, the rest not at all
REVERSAL_ICC_TAGS = (0x95, 0x9F1E, 0x9F10, 0x9F36, 0xDF31)  # field 55 of a 0400 (DOMAIN_FACTS A)
# field 22 by the journal's entry mode, for messages rebuilt after the fact (batch upload, a reversal of a
# transaction journalled without its request) (DOMAIN_FACTS A: 05 chip, 07 contactless, 02 swipe, 03
# scanned code, 01 keyed; the PIN digit is not known after the fact: 2)
ENTRY_MODE_F22 = {
    "chip": "052", "tap": "072", "swipe": "022", "fallback": "022", "qr": "032", "manual": "012",
}  # fmt: skip


def request_record(request: Message) -> str:
    """The non-secret fields of a request as JSON, and the field 55 tags its reversal carries."""
    fields = {
        str(n): ({"b": v.hex()} if isinstance(v, bytes) else {"s": v})
        for n, v in request.fields.items()
        if n not in SECRET_FIELDS
    }
    icc = request.get(55)
    reversal_icc = ""
    if isinstance(icc, bytes) and icc:
        try:
            found = tlv.parse(icc)
            reversal_icc = tlv.encode([(t, found[t]) for t in REVERSAL_ICC_TAGS if t in found]).hex()
        except tlv.TlvError:
            reversal_icc = ""
    return json.dumps({"mti": request.mti, "fields": fields, "icc": reversal_icc}, sort_keys=True)


def with_reversal_icc(record: str, final_icc: dict[int, bytes]) -> str:
    """The record with the 0400's field 55 taken from the card's final data (after the second GENERATE
    AC: TVR 95, IAD 9F10, ATC 9F36, script results DF31; DOMAIN_FACTS A)."""
    data = json.loads(record)
    data["icc"] = tlv.encode([(t, final_icc[t]) for t in REVERSAL_ICC_TAGS if t in final_icc]).hex()
    return json.dumps(data, sort_keys=True)


def rebuild_request(record: str, pan: str | None, tid: rq.TerminalId) -> tuple[Message, bytes]:
    """The original request (with its PAN) and the field 55 of its reversal, from :func:`request_record`."""
    data = json.loads(record)
    fields: dict[int, str | bytes] = {
        int(n): bytes.fromhex(v["b"]) if "b" in v else str(v["s"]) for n, v in data["fields"].items()
    }
    if pan:
        fields[2] = pan
    return Message(str(data["mti"]), fields, tid.tpdu, tid.header), bytes.fromhex(data.get("icc", ""))


def request_for(
    kind: str,
    tid: rq.TerminalId,
    trace: int,
    batch: int,
    amount_minor: int,
    card: rq.CardData,
    original: TxnRecord | None = None,
    code: str = "",
) -> Message:
    """The authorisation request of a transaction of ``kind`` (the terminal's, or one rebuilt for its
    reversal): a void, refund or completion names ``original`` (RRN 37, authorisation code 38, batch and
    trace in 61); a scanned code travels in field 59. A kind that needs an original and has none, and a
    scanned sale without its code, are rebuilt as a purchase with the card's entry mode."""
    o = original
    if o is not None and kind == "void":
        return rq.void(tid, trace, batch, amount_minor, o.rrn or "", o.auth_code or "", o.trace, card)
    if o is not None and kind == "refund":
        date = o.created_at[5:7] + o.created_at[8:10]
        return rq.refund(tid, trace, batch, amount_minor, o.rrn or "", o.batch, o.trace, date, card)
    if o is not None and kind == "completion":
        return rq.completion(tid, trace, batch, amount_minor, o.auth_code or "", o.batch, o.trace, card)
    if o is not None and kind == "preauth_void":
        return rq.pre_auth_void(tid, trace, batch, amount_minor, o.auth_code or "", o.batch, o.trace, card)
    if o is not None and kind == "completion_void":
        return rq.completion_void(
            tid, trace, batch, amount_minor, o.rrn or "", o.auth_code or "", o.trace, card
        )
    if kind == "balance":
        return rq.balance(tid, trace, batch, card)
    if kind == "preauth":
        return rq.pre_auth(tid, trace, batch, amount_minor, card)
    if kind == "scan_sale" and code:
        return rq.qr_purchase(tid, trace, batch, amount_minor, code)
    return rq.purchase(tid, trace, batch, amount_minor, card)


@dataclass(frozen=True)
class AuthResult:
    """The host's answer (``reply`` None when there was none) and the journal id of the transaction."""

    txn_id: int
    reply: Message | None
    error: str = ""  # "timeout", "mac", "unavailable", "format" when there was no usable reply
    sent: bool = True

    @property
    def response_code(self) -> str:
        value = self.reply.get(39) if self.reply is not None else None
        return value if isinstance(value, str) else ""


class Authoriser:
    """The online steps of one terminal."""

    def __init__(
        self, link: SocketHostLink, journal: Journal, terminal_id: Callable[[], rq.TerminalId]
    ) -> None:
        self.link = link
        self.journal = journal
        self.terminal_id = terminal_id
        self.needs_sign_on = False

    def reversal_message(self, reversal: Reversal) -> Message:
        """The 0400 of a journalled transaction: its original request's fields (the PAN decrypted from the
        journal), the reason in field 39, and the field 55 tags a reversal carries."""
        t = reversal.txn
        pan = self.journal.reveal_pan(t.id) if t.pan_masked else None
        record = self.journal.original_request(t.id)
        tid = self.terminal_id()
        if record is None:  # a journal from before requests were recorded: rebuild from the rows
            original, icc = self.request_from_rows(t, pan, tid), b""
        else:
            original, icc = rebuild_request(record, pan, tid)
        message = rq.reversal(original, reversal.reason)
        return message.with_fields({55: icc}) if icc else message

    def request_from_rows(self, t: TxnRecord, pan: str | None, tid: rq.TerminalId) -> Message:
        """The request of a transaction journalled without it, rebuilt as its kind from its row and, for a
        void or a completion, its original's row (RRN 37, authorisation code 38, batch and trace for 61)."""
        card = rq.CardData(pan=pan, entry_mode=ENTRY_MODE_F22.get(t.entry_mode, "012"))
        o = self.journal.get(t.original_id) if t.original_id is not None else None
        return request_for(t.kind, tid, t.trace, t.batch, t.amount_minor, card, o)

    def send_pending_reversals(self) -> bool:
        """Send every pending reversal, each up to 3 tries this session (then kept for the next one).
        True when no reversal is left to send now."""
        while True:
            pending = self.journal.pending_reversal()  # the oldest with tries left
            if pending is None:
                return True
            try:
                message = self.reversal_message(pending)
                self.link.transact(message)
            except (HostError, Iso8583Error, JournalError) as exc:
                log.warning("reversal of transaction %s not answered: %s", pending.txn.id, type(exc).__name__)
                if not getattr(exc, "request_sent", True):
                    return False  # never left the terminal (no link): not a try, kept for the next chance
                self.journal.reversal_sent(pending.txn.id, answered=False)
                if isinstance(exc, HostMacError):
                    self.needs_sign_on = True
                if isinstance(exc, HostError) and not isinstance(exc, HostTimeout):
                    return False  # no link to the host: try again before the next online message
                continue
            self.journal.reversal_sent(pending.txn.id, answered=True)

    def authorise(
        self,
        kind: str,
        request: Message,
        amount_minor: int,
        pan: str,
        entry_mode: str,
        *,
        operator: str | None,
        original_id: int | None = None,
    ) -> AuthResult:
        """Journal, send, and record the answer (or arm the reversal). Raises nothing for host errors.

        Raises:
            Iso8583Error: the request does not encode; checked before anything is journalled, so a request
                that can never be sent leaves no pending transaction and no reversal behind.
            JournalError: the journal refused the transaction (a reversal is still pending).
        """
        encode_body(request)
        trace = int(str(request.get(11) or "0"))
        txn_id = self.journal.begin_online(
            kind,
            amount_minor,
            156,
            pan,
            entry_mode,
            trace=trace,
            operator=operator,
            original_id=original_id,
            reversible=kind in REVERSIBLE,
            request=request_record(request),
        )
        try:
            reply = self.link.transact(request)
        except HostMacError:
            self.journal.record_outcome(txn_id, "failed", response_code="A0", reversal_reason="A0")
            self.needs_sign_on = True
            return AuthResult(txn_id, None, "mac")
        except HostTimeout:
            self.journal.record_outcome(txn_id, "failed", reversal_reason="98")
            return AuthResult(txn_id, None, "timeout")
        except HostError as exc:
            sent = bool(getattr(exc, "request_sent", True))
            reason = "98" if sent and kind in REVERSIBLE else None
            self.journal.record_outcome(txn_id, "failed", reversal_reason=reason)
            return AuthResult(txn_id, None, "unavailable" if not sent else "format", sent=sent)
        return AuthResult(txn_id, reply)
