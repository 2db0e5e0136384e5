"""Online messages as steps with a durable order: reversal first, then prepare, send, commit or reverse
(DOMAIN_FACTS.md A: reversal record before the request, reasons 98 / A0 / 96 / 06, 3 tries then kept;
jPOS-style prepare/commit/abort participants, STYLE.md section 3).

:class:`Authoriser` wraps the host link and the journal: :meth:`Authoriser.send_pending_reversals` runs
before every online message; :meth:`Authoriser.authorise` journals the transaction and its reversal record,
sends the request and records the outcome, arming the reversal with the right reason when the answer is
missing, unreadable or its MAC is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from drivers.host import HostError, HostMacError, HostTimeout, SocketHostLink
from host import requests as rq
from host.protocol import Message
from terminal.journal import Journal, Reversal

log = logging.getLogger(__name__)

__all__ = ["REVERSIBLE", "AuthResult", "Authoriser"]

REVERSIBLE = frozenset(
    {"sale", "void", "preauth", "preauth_void", "completion", "completion_void", "scan_sale"}
)


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

    def rebuild_request(self, reversal: Reversal) -> Message:
        """The original request of a journalled transaction, for its 0400 (PAN from the encrypted store)."""
        t = reversal.txn
        pan = self.journal.reveal_pan(t.id) if t.pan_masked else None
        card = rq.CardData(pan=pan, entry_mode="051" if t.entry_mode == "chip" else "021")
        tid = self.terminal_id()
        if t.kind == "preauth":
            return rq.pre_auth(tid, t.trace, t.batch, t.amount_minor, card)
        return rq.purchase(tid, t.trace, t.batch, t.amount_minor, card)

    def send_pending_reversals(self) -> bool:
        """Send every pending reversal (up to 3 tries each this session). True when none is left pending."""
        while True:
            pending = self.journal.pending_reversal()
            if pending is None:
                return True
            message = rq.reversal(self.rebuild_request(pending), pending.reason)
            try:
                self.link.transact(message)
            except HostError as exc:
                log.warning("reversal of transaction %s not answered: %s", pending.txn.id, type(exc).__name__)
                self.journal.reversal_sent(pending.txn.id, answered=False)
                if isinstance(exc, HostMacError):
                    self.needs_sign_on = True
                if self.journal.pending_reversal() is not None and pending.tries + 1 < 3:
                    continue
                return self.journal.pending_reversal() is None
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
        """Journal, send, and record the answer (or arm the reversal). Raises nothing for host errors."""
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
