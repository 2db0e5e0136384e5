"""The terminal's journal: what happened, durably, so that nothing a merchant does is lost
(ARCHITECTURE.md section 4; reversal rules from DOMAIN_FACTS.md A).

SQLite in WAL mode with ``synchronous=FULL``, the schema versioned by migrations. Tables: transactions,
counters (trace number, batch number), the reversal record, the store-and-forward queue, operators and
settings. The order of writes is the safety argument:

1. :meth:`Journal.begin_online` commits the transaction row *and* its reversal record before the
   authorisation request leaves the terminal;
2. :meth:`Journal.record_outcome` commits the host's answer and clears (or keeps) the reversal record
   before the receipt prints;
3. :meth:`Journal.receipt_printed` marks the receipt done.

A power cut between any two of them leaves a journal from which the next boot recovers: a pending
reversal is sent before any other online message, an approved transaction is counted once, an unprinted
receipt is offered for reprint (:meth:`Journal.recovery`).

The PAN is stored encrypted (AES-GCM under a key from the key store) beside its masked form; track data,
PIN and CVV are never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from config.errors import PosError
from emv.redact import mask_pan

log = logging.getLogger(__name__)

__all__ = ["Journal", "JournalError", "Recovery", "Reversal", "TxnRecord"]

REVERSAL_TRIES = 3  # DOMAIN_FACTS A: reverse_retry

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO counters VALUES ('trace', 0), ('batch', 1);
    CREATE TABLE txns (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,             -- sale void refund balance preauth preauth_void completion ...
        state TEXT NOT NULL,            -- pending approved declined reversed voided failed
        batch INTEGER NOT NULL,
        trace INTEGER NOT NULL,
        amount_minor INTEGER NOT NULL,
        currency_n INTEGER NOT NULL,
        pan_masked TEXT NOT NULL,
        pan_enc BLOB,
        entry_mode TEXT NOT NULL,       -- chip swipe fallback tap qr manual
        operator TEXT,
        rrn TEXT, auth_code TEXT, response_code TEXT,
        original_id INTEGER REFERENCES txns(id),
        emv TEXT,                       -- AID, label, cryptogram, TVR, TSI as JSON (no PAN)
        signature INTEGER NOT NULL DEFAULT 0,
        receipt TEXT NOT NULL DEFAULT 'none',   -- none pending printed
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (batch, trace)
    );
    CREATE TABLE reversal (
        txn_id INTEGER PRIMARY KEY REFERENCES txns(id),
        reason TEXT NOT NULL,           -- 98 timeout, A0 MAC, 96 terminal fault, 06 card declined/other
        tries INTEGER NOT NULL DEFAULT 0,   -- 0400s sent without an answer in this session
        created_at TEXT NOT NULL
    );
    CREATE TABLE saf (
        id INTEGER PRIMARY KEY,
        txn_id INTEGER NOT NULL REFERENCES txns(id),
        kind TEXT NOT NULL,             -- advice, script_result, tc_upload
        payload BLOB,
        tries INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE operators (
        number TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,             -- supervisor cashier
        pw_hash BLOB NOT NULL,
        pw_salt BLOB NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: what a reversal needs of its original request (its non-secret fields and the field 55 tags a 0400
    # carries), and a keyed hash of the PAN for the floor limit's transaction log (EMV Book 3 10.6.1)
    """
    ALTER TABLE txns ADD COLUMN request TEXT;
    ALTER TABLE txns ADD COLUMN pan_hash TEXT;
    CREATE INDEX txns_pan_hash ON txns(pan_hash);
    """,
)


class JournalError(PosError):
    """The journal cannot be opened, migrated or written, or a request contradicts its state."""


@dataclass(frozen=True)
class TxnRecord:
    """One journal row, without the encrypted PAN."""

    id: int
    kind: str
    state: str
    batch: int
    trace: int
    amount_minor: int
    currency_n: int
    pan_masked: str
    entry_mode: str
    operator: str | None
    rrn: str | None
    auth_code: str | None
    response_code: str | None
    original_id: int | None
    emv: str | None
    signature: bool
    receipt: str
    created_at: str


@dataclass(frozen=True)
class Reversal:
    """A reversal to send: the original transaction and the reason code (f39 of the 0400)."""

    txn: TxnRecord
    reason: str
    tries: int


@dataclass(frozen=True)
class Recovery:
    """What a boot finds in the journal (crash recovery, issue 7 item 4)."""

    pending_reversals: list[Reversal]
    unprinted: list[TxnRecord]
    interrupted: list[TxnRecord]  # online requests whose outcome was never recorded


_COLUMNS = (
    "id, kind, state, batch, trace, amount_minor, currency_n, pan_masked, entry_mode, operator, rrn, "
    "auth_code, response_code, original_id, emv, signature, receipt, created_at"
)


class Journal:
    """The terminal's SQLite journal. One instance per terminal; not shared between threads."""

    def __init__(
        self, path: str | Path, data_key: bytes, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        if len(data_key) != 32:
            raise JournalError("the journal's data key must be 32 bytes (AES-256)")
        self._aead = AESGCM(data_key)
        self._hash_key = hmac.new(data_key, b"posemu journal PAN hash", hashlib.sha256).digest()
        self._now = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        try:
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=5.0)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self._backfill_pan_hash()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal at {path}: {exc}") from exc

    # -- plumbing ----------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_MIGRATIONS):
            raise JournalError(f"journal schema {version} is newer than this firmware knows")
        for number in range(version, len(_MIGRATIONS)):
            # one transaction per migration: the script and its new version number land together or not at all
            try:
                self.db.executescript(
                    "BEGIN IMMEDIATE;" + _MIGRATIONS[number] + f"PRAGMA user_version={number + 1}; COMMIT;"
                )
            except sqlite3.Error:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def _backfill_pan_hash(self) -> None:
        """Rows written before the PAN hash existed (schema 1) get it from their encrypted PAN, in one
        transaction, so the floor limit's transaction log sees them; a PAN that does not decrypt (another
        key, a tampered row) gets an empty one that no PAN matches. Nothing to do, and one indexed query, on
        later boots."""
        rows = self.db.execute(
            "SELECT id, pan_enc FROM txns WHERE pan_hash IS NULL AND pan_enc IS NOT NULL"
        ).fetchall()
        if not rows:
            return
        with self._tx() as db:
            for txn_id, blob in rows:
                try:
                    pan = self._aead.decrypt(blob[:12], blob[12:], b"pan").decode("ascii")
                except Exception:  # InvalidTag: not this key's; '' (no hash ever matches it) so it is not
                    # looked at again on the next boot
                    log.warning("transaction %s: stored PAN does not decrypt; left without its hash", txn_id)
                    db.execute("UPDATE txns SET pan_hash='' WHERE id=?", (txn_id,))
                    continue
                db.execute("UPDATE txns SET pan_hash=? WHERE id=?", (self._pan_hash(pan), txn_id))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable transaction (BEGIN IMMEDIATE ... COMMIT)."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def _stamp(self) -> str:
        return self._now().isoformat(timespec="seconds")

    def _encrypt_pan(self, pan: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, pan.encode("ascii"), b"pan")

    def _pan_hash(self, pan: str) -> str | None:
        return hmac.new(self._hash_key, pan.encode("ascii"), hashlib.sha256).hexdigest() if pan else None

    def recent_amount(self, pan: str) -> int:
        """The approved amounts of the current batch on this card: the floor limit's transaction log
        (EMV 4.4 Book 3 10.6.1). The PAN is matched by its keyed hash, never stored in clear."""
        key = self._pan_hash(pan)
        if key is None:
            return 0
        row = self.db.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM txns WHERE pan_hash=? AND batch=? "
            "AND state='approved' AND kind IN ('sale', 'preauth', 'completion')",
            (key, self.batch),
        ).fetchone()
        return int(row[0])

    def original_request(self, txn_id: int) -> str | None:
        """The recorded non-secret fields of a transaction's request (JSON), for its reversal."""
        row = self.db.execute("SELECT request FROM txns WHERE id=?", (txn_id,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def update_request(self, txn_id: int, request: str) -> None:
        """Replace the recorded request (a reversal after the second GENERATE AC carries the card's final
        TVR, IAD, ATC and script results)."""
        with self._tx() as db:
            db.execute("UPDATE txns SET request=? WHERE id=?", (request, txn_id))

    def reveal_pan(self, txn_id: int) -> str:
        """Decrypt the PAN of a transaction, for the online messages that must carry it (f2)."""
        row = self.db.execute("SELECT pan_enc FROM txns WHERE id=?", (txn_id,)).fetchone()
        if row is None or row[0] is None:
            raise JournalError(f"transaction {txn_id} has no stored PAN")
        blob: bytes = row[0]
        try:
            return self._aead.decrypt(blob[:12], blob[12:], b"pan").decode("ascii")
        except Exception as exc:  # InvalidTag: a wrong key or a tampered row
            raise JournalError(f"transaction {txn_id}: stored PAN does not decrypt") from exc

    # -- counters ----------------------------------------------------------------------------------------

    def next_trace(self) -> int:
        """The next system trace audit number (f11), 1..999999 then 1 again; committed before use."""
        with self._tx() as db:
            value = db.execute("SELECT value FROM counters WHERE name='trace'").fetchone()[0] % 999999 + 1
            db.execute("UPDATE counters SET value=? WHERE name='trace'", (value,))
        return int(value)

    @property
    def batch(self) -> int:
        return int(self.db.execute("SELECT value FROM counters WHERE name='batch'").fetchone()[0])

    def set_batch(self, batch: int) -> None:
        """Adopt the host's batch number (sign-on 60.2, or the next one after settlement)."""
        with self._tx() as db:
            db.execute("UPDATE counters SET value=? WHERE name='batch'", (batch % 1000000,))

    # -- transactions ------------------------------------------------------------------------------------

    def begin_online(
        self,
        kind: str,
        amount_minor: int,
        currency_n: int,
        pan: str,
        entry_mode: str,
        *,
        trace: int,
        operator: str | None = None,
        original_id: int | None = None,
        reversible: bool = True,
        request: str | None = None,
    ) -> int:
        """Record a transaction about to go online and, if it can be reversed, its reversal record, in one
        durable commit, before the request leaves. Returns the transaction id.

        Raises:
            JournalError: a float or negative amount, or a reversal still pending (send it first).
        """
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor < 0:
            raise JournalError("amounts are non-negative integers in minor units")
        now = self._stamp()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM reversal WHERE tries < ?", (REVERSAL_TRIES,)).fetchone():
                raise JournalError("a reversal is pending: send it before the next online message")
            cur = db.execute(
                "INSERT INTO txns (kind, state, batch, trace, amount_minor, currency_n, pan_masked, pan_enc, "
                "entry_mode, operator, original_id, created_at, updated_at, request, pan_hash) "
                "VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind, self.batch, trace, amount_minor, currency_n, mask_pan(pan) if pan else "",
                    self._encrypt_pan(pan) if pan else None, entry_mode, operator, original_id, now, now,
                    request, self._pan_hash(pan),
                ),
            )  # fmt: skip
            txn_id = int(cur.lastrowid or 0)
            if reversible:
                # Written before the request leaves: with no recorded answer it goes out as a 98 (timeout).
                db.execute(
                    "INSERT INTO reversal (txn_id, reason, created_at) VALUES (?, '98', ?)", (txn_id, now)
                )
        return txn_id

    def record_outcome(
        self,
        txn_id: int,
        state: str,
        *,
        response_code: str | None = None,
        rrn: str | None = None,
        auth_code: str | None = None,
        emv: str | None = None,
        signature: bool = False,
        reversal_reason: str | None = None,
        original: tuple[int, str] | None = None,
        request: str | None = None,
    ) -> None:
        """Commit the outcome before the receipt prints. With ``reversal_reason`` the reversal stays armed
        with that reason (98 timeout, A0 bad MAC, 96 terminal fault, 06 card declined after approval);
        otherwise the reversal record is cleared (a definitive answer needs no reversal). ``original`` =
        (id, state) changes the original transaction in the same commit (a void voids its sale);
        ``request`` replaces the recorded request (the reversal's field 55 from the card's final data).
        """
        receipt = "pending" if state == "approved" else "none"
        with self._tx() as db:
            db.execute(
                "UPDATE txns SET state=?, response_code=?, rrn=?, auth_code=?, emv=?, signature=?, "
                "receipt=?, updated_at=? WHERE id=?",
                (state, response_code, rrn, auth_code, emv, int(signature), receipt, self._stamp(), txn_id),
            )
            if reversal_reason is None:
                db.execute("DELETE FROM reversal WHERE txn_id=?", (txn_id,))
            else:
                db.execute("UPDATE reversal SET reason=? WHERE txn_id=?", (reversal_reason, txn_id))
            if original is not None:
                db.execute(
                    "UPDATE txns SET state=?, updated_at=? WHERE id=?",
                    (original[1], self._stamp(), original[0]),
                )
            if request is not None:
                db.execute("UPDATE txns SET request=? WHERE id=?", (request, txn_id))

    def record_offline(
        self,
        kind: str,
        state: str,
        amount_minor: int,
        currency_n: int,
        pan: str,
        entry_mode: str,
        *,
        trace: int,
        emv: str | None = None,
        signature: bool = False,
        operator: str | None = None,
        rrn: str | None = None,
        forward: bool = True,
    ) -> int:
        """Record a transaction decided without this terminal's authorisation request in one commit: an
        offline approval (queued for store-and-forward unless ``forward`` is False) or decline, or a QR
        payment the host confirmed (``rrn``, not forwarded: the host has it)."""
        now = self._stamp()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO txns (kind, state, batch, trace, amount_minor, currency_n, pan_masked, pan_enc, "
                "entry_mode, operator, emv, signature, receipt, created_at, updated_at, pan_hash, rrn, "
                "response_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind, state, self.batch, trace, amount_minor, currency_n, mask_pan(pan) if pan else "",
                    self._encrypt_pan(pan) if pan else None, entry_mode, operator, emv, int(signature),
                    "pending" if state == "approved" else "none", now, now, self._pan_hash(pan), rrn,
                    "00" if rrn else None,
                ),
            )  # fmt: skip
            txn_id = int(cur.lastrowid or 0)
            if state == "approved" and forward:
                db.execute(
                    "INSERT INTO saf (txn_id, kind, created_at) VALUES (?, 'advice', ?)", (txn_id, now)
                )
        return txn_id

    def mark(self, txn_id: int, state: str) -> None:
        """Change a transaction's state (voided after a void, reversed after its reversal)."""
        with self._tx() as db:
            db.execute("UPDATE txns SET state=?, updated_at=? WHERE id=?", (state, self._stamp(), txn_id))

    def receipt_printed(self, txn_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE txns SET receipt='printed' WHERE id=?", (txn_id,))

    def get(self, txn_id: int) -> TxnRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM txns WHERE id=?", (txn_id,)).fetchone()
        return None if row is None else _record(row)

    def find_by_trace(self, trace: int, batch: int | None = None) -> TxnRecord | None:
        """A transaction of the current (or given) batch by its trace number (void, reprint)."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM txns WHERE trace=? AND batch=? ORDER BY id DESC LIMIT 1",
            (trace, self.batch if batch is None else batch),
        ).fetchone()
        return None if row is None else _record(row)

    def find_by_rrn(self, rrn: str) -> TxnRecord | None:
        """An approved transaction of any batch by its retrieval reference number (refund)."""
        sql = f"SELECT {_COLUMNS} FROM txns WHERE rrn=? AND state='approved' ORDER BY id DESC"
        row = self.db.execute(sql + " LIMIT 1", (rrn,)).fetchone()
        return None if row is None else _record(row)

    def last(self, kind: str | None = None) -> TxnRecord | None:
        sql = f"SELECT {_COLUMNS} FROM txns" + (" WHERE kind=?" if kind else "") + " ORDER BY id DESC LIMIT 1"
        row = self.db.execute(sql, (kind,) if kind else ()).fetchone()
        return None if row is None else _record(row)

    def batch_rows(self, batch: int | None = None) -> list[TxnRecord]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM txns WHERE batch=? ORDER BY id",
            (self.batch if batch is None else batch,),
        ).fetchall()
        return [_record(r) for r in rows]

    # -- reversal ----------------------------------------------------------------------------------------

    def pending_reversal(self) -> Reversal | None:
        """The reversal to send before the next online message, if any."""
        row = self.db.execute(
            "SELECT txn_id, reason, tries FROM reversal WHERE tries < ? ORDER BY txn_id LIMIT 1",
            (REVERSAL_TRIES,),
        ).fetchone()
        if row is None:
            return None
        txn = self.get(int(row[0]))
        return None if txn is None else Reversal(txn, str(row[1]), int(row[2]))

    def pending_reversal_of(self, txn_id: int) -> bool:
        """Whether a reversal of this transaction is armed (whatever its tries)."""
        row = self.db.execute("SELECT 1 FROM reversal WHERE txn_id=?", (txn_id,)).fetchone()
        return row is not None

    def reversal_sent(self, txn_id: int, answered: bool) -> None:
        """After a 0400: any 0410 clears the record and marks the original reversed; no answer counts a
        try (after :data:`REVERSAL_TRIES` the record is kept for the next session, DOMAIN_FACTS A)."""
        with self._tx() as db:
            if answered:
                db.execute("DELETE FROM reversal WHERE txn_id=?", (txn_id,))
                db.execute(
                    "UPDATE txns SET state='reversed', updated_at=? WHERE id=?", (self._stamp(), txn_id)
                )
            else:
                db.execute("UPDATE reversal SET tries=tries+1 WHERE txn_id=?", (txn_id,))

    # -- settings and recovery ---------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO settings VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def saf_pending(self, batch: int | None = None) -> list[int]:
        """Transaction ids waiting in the store-and-forward queue (offline approvals), oldest first."""
        rows = self.db.execute(
            "SELECT s.txn_id FROM saf s JOIN txns t ON t.id = s.txn_id WHERE t.batch=? ORDER BY s.id",
            (self.batch if batch is None else batch,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def saf_forwarded(self, txn_ids: list[int]) -> None:
        """The host has these transactions now (batch upload): out of the queue."""
        with self._tx() as db:
            db.executemany("DELETE FROM saf WHERE txn_id=?", [(t,) for t in txn_ids])

    def new_session(self) -> None:
        """A new host session (sign-on): reversals kept after their tries get 3 tries again."""
        with self._tx() as db:
            db.execute("UPDATE reversal SET tries=0")

    def recovery(self) -> Recovery:
        """What boot must handle: pending reversals (an interrupted request's record says 98), approved
        transactions whose receipt never printed. A new session gives kept reversals their 3 tries again;
        an interrupted request (no outcome recorded) is failed: its reversal decides it at the host."""
        with self._tx() as db:
            db.execute("UPDATE reversal SET tries=0")
            interrupted = [
                _record(r)
                for r in db.execute(f"SELECT {_COLUMNS} FROM txns WHERE state='pending' ORDER BY id")
            ]
            db.execute("UPDATE txns SET state='failed', updated_at=? WHERE state='pending'", (self._stamp(),))
        reversals = []
        for txn_id, reason, tries in self.db.execute(
            "SELECT txn_id, reason, tries FROM reversal ORDER BY txn_id"
        ):
            txn = self.get(int(txn_id))
            if txn is not None:
                reversals.append(Reversal(txn, str(reason), int(tries)))
        unprinted = [
            _record(r)
            for r in self.db.execute(f"SELECT {_COLUMNS} FROM txns WHERE receipt='pending' ORDER BY id")
        ]
        return Recovery(reversals, unprinted, interrupted)


def _record(row: tuple[object, ...]) -> TxnRecord:
    values = list(row)
    values[15] = bool(values[15])
    return TxnRecord(*values)  # type: ignore[arg-type]
