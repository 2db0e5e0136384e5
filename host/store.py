"""The host simulator's SQLite store: the ledger in memory, every change made durable by group commit
(ARCHITECTURE.md sections 4 and 5; SQLite "Write-Ahead Logging" and ``PRAGMA synchronous``).

The records of :mod:`host.records` live in dicts and indexes that the request handlers read and change on
the event loop. Each change queues an upsert of the changed row; :meth:`Store.when_durable` (or
:meth:`Store.durable`) calls back once the round holding the caller's changes is committed
(``synchronous=FULL`` in WAL mode: an fsync of the write-ahead log per commit). A round is every change
queued while the loop handled the requests that were ready together: the commits of concurrent requests
share one transaction and one fsync, and every approval is on disk before its reply leaves. By default
the loop commits each round itself at the start of its next iteration (on a disk with a fast fsync that
answers soonest); ``commit_thread`` commits on a writer thread instead, so that the loop keeps deciding
while a slow disk syncs. A failed commit fails every request of its round.

The database is read once, at :meth:`Store.open`: every table is loaded into memory (a simulator's ledger,
not a production one). Session working keys are never written: after a restart terminals sign on again.
The card table holds PANs in clear because the issuer derives card keys from them; transactions keep only
a masked PAN and a hash. Seeding a new database from ``config/defaults/host.toml`` and the virtual card
profiles is :mod:`host.seed`. The module is longer than STYLE.md's 400 lines because the schema, the
loading, the change queue and the two commit modes are one mechanism that is easier to check whole.
"""

from __future__ import annotations

import asyncio
import logging
import operator
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

from host.faults import FaultRule
from host.records import (
    Account,
    BatchRecord,
    Card,
    IssuerKeys,
    Merchant,
    PaymentCodeRecord,
    QrOrder,
    TerminalRecord,
    Txn,
    TxnKind,
    TxnStatus,
)

__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS merchants (mid TEXT PRIMARY KEY, name TEXT, city TEXT, mcc TEXT);
CREATE TABLE IF NOT EXISTS terminals (tid TEXT PRIMARY KEY, mid TEXT NOT NULL, tmk BLOB NOT NULL,
    batch INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS issuer_keys (name TEXT PRIMARY KEY, cryptogram TEXT NOT NULL, imk_ac BLOB,
    imk_smi BLOB, imk_smc BLOB);
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, balance_fen INTEGER NOT NULL,
    held_fen INTEGER NOT NULL, limit_fen INTEGER NOT NULL, wallet TEXT);
CREATE TABLE IF NOT EXISTS cards (pan TEXT PRIMARY KEY, psn TEXT, account_id TEXT, expiry TEXT,
    issuer_key TEXT, status TEXT, pin_check TEXT, pin_failures INTEGER, pin_try_limit INTEGER,
    pending_script TEXT);
CREATE TABLE IF NOT EXISTS transactions (id INTEGER PRIMARY KEY, tid TEXT, mid TEXT, batch INTEGER,
    trace INTEGER, kind TEXT, mti TEXT, amount_fen INTEGER, response_code TEXT, status TEXT, rrn TEXT,
    auth_code TEXT, account_id TEXT, pan_hash TEXT, pan_masked TEXT, domestic INTEGER, orig_id INTEGER,
    balance_delta INTEGER, hold_delta INTEGER, refunded_fen INTEGER, created TEXT);
CREATE TABLE IF NOT EXISTS batches (tid TEXT, batch INTEGER, status TEXT, result TEXT, uploaded INTEGER,
    PRIMARY KEY (tid, batch));
CREATE TABLE IF NOT EXISTS qr_orders (ref TEXT PRIMARY KEY, tid TEXT, mid TEXT, batch INTEGER,
    trace INTEGER, amount_fen INTEGER, status TEXT, account_id TEXT, txn_id INTEGER, created TEXT);
CREATE TABLE IF NOT EXISTS payment_codes (code TEXT PRIMARY KEY, account_id TEXT, reusable INTEGER,
    expires TEXT);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY, action TEXT, mti TEXT, tid TEXT, pan_from TEXT,
    pan_to TEXT, amount_min INTEGER, amount_max INTEGER, delay_ms INTEGER, response_code TEXT,
    remaining INTEGER);
CREATE TABLE IF NOT EXISTS batch_uploads (tid TEXT, batch INTEGER, trace INTEGER, amount_fen INTEGER,
    pan_masked TEXT, network_code TEXT, PRIMARY KEY (tid, batch, trace, network_code));
"""

# table -> (record class, number of key columns)
_TABLES: dict[str, tuple[type[Any], int]] = {
    "merchants": (Merchant, 1),
    "issuer_keys": (IssuerKeys, 1),
    "accounts": (Account, 1),
    "cards": (Card, 1),
    "transactions": (Txn, 1),
    "batches": (BatchRecord, 2),
    "qr_orders": (QrOrder, 1),
    "payment_codes": (PaymentCodeRecord, 1),
    "faults": (FaultRule, 1),
}
_TERMINAL_COLUMNS = ("tid", "mid", "tmk", "batch")


class StoreError(Exception):
    """The store could not be opened or written (wraps :class:`sqlite3.Error`)."""


def _columns(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


# a record's row: its fields in order, read shallowly (dataclasses.astuple deep-copies every value)
_ROW = {table: operator.attrgetter(*_columns(cls)) for table, (cls, _) in _TABLES.items()}


_MAX_VARIABLES = 30_000  # bound parameters in one statement (SQLite allows 32766 since 3.32)


class Store:
    """The ledger: records in memory, changes queued and committed in groups by one writer thread."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.path = path
        self._conn = conn
        self.merchants: dict[str, Merchant] = {}
        self.terminals: dict[str, TerminalRecord] = {}
        self.issuer_keys: dict[str, IssuerKeys] = {}
        self.accounts: dict[str, Account] = {}
        self.cards: dict[str, Card] = {}
        self.txns: dict[int, Txn] = {}
        self.batches: dict[tuple[str, int], BatchRecord] = {}
        self.orders: dict[str, QrOrder] = {}
        self.codes: dict[str, PaymentCodeRecord] = {}
        self.faults: dict[int, FaultRule] = {}
        # indexes over self.txns
        self.by_trace: dict[tuple[str, int], list[Txn]] = defaultdict(list)
        self.by_rrn: dict[str, Txn] = {}
        self.by_auth: dict[str, list[Txn]] = defaultdict(list)
        self.by_batch: dict[tuple[str, int], list[Txn]] = defaultdict(list)
        self.next_txn_id = 1
        self.next_fault_id = 1
        self._pending: dict[tuple[str, Any], tuple[Any, ...] | None] = {}
        self._callbacks: list[Callable[[StoreError | None], None]] = []  # of the next commit round
        self._scheduled = False
        self.commit_thread = False  # commit on a thread (slow disks) instead of on the loop
        self._flushing = False
        self._executor: ThreadPoolExecutor | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self.commits = 0  # number of commits and the writer's CPU seconds, for the load generator's figures
        self.commit_cpu_s = 0.0

    # -----------------------------------------------------------------------------------------------------
    # Opening and loading
    # -----------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path = ":memory:", *, commit_thread: bool = False) -> Store:
        """Open (creating if needed) the database at ``path`` and load it; ``":memory:"`` for a scratch one.

        ``commit_thread`` commits on a writer thread while the loop goes on (for a disk whose fsync is
        slow); by default the loop commits each round itself, which answers sooner on a fast disk.

        Raises:
            StoreError: the file cannot be opened, is not a posemu host database, or has a newer schema.
        """
        name = str(path)
        try:
            conn = sqlite3.connect(name, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(f"{name}: schema {row[0]} is newer than this posemu ({SCHEMA_VERSION})")
            store = cls(conn, name)
            store.commit_thread = commit_thread
            store._load()
        except sqlite3.Error as exc:
            raise StoreError(f"{name}: {exc}") from exc
        return store

    @property
    def is_empty(self) -> bool:
        """True for a database without terminals (a new one, to be seeded)."""
        return not self.terminals

    def _rows(self, table: str, columns: Iterable[str]) -> list[tuple[Any, ...]]:
        return self._conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()

    def _load(self) -> None:
        for row in self._rows("terminals", _TERMINAL_COLUMNS):
            self.terminals[row[0]] = TerminalRecord(*row)
        for m in self._load_table("merchants", Merchant):
            self.merchants[m.mid] = m
        for k in self._load_table("issuer_keys", IssuerKeys):
            self.issuer_keys[k.name] = k
        for a in self._load_table("accounts", Account):
            self.accounts[a.id] = a
        for c in self._load_table("cards", Card):
            self.cards[c.pan] = c
        for b in self._load_table("batches", BatchRecord):
            self.batches[(b.tid, b.batch)] = b
        for o in self._load_table("qr_orders", QrOrder):
            self.orders[o.ref] = o
        for p in self._load_table("payment_codes", PaymentCodeRecord):
            p.reusable = bool(p.reusable)
            self.codes[p.code] = p
        for f in self._load_table("faults", FaultRule):
            self.faults[f.id] = f
            self.next_fault_id = max(self.next_fault_id, f.id + 1)
        for t in self._load_table("transactions", Txn):
            t.domestic = bool(t.domestic)
            self._index(t)
            self.next_txn_id = max(self.next_txn_id, t.id + 1)

    def _load_table(self, table: str, cls: type[Any]) -> list[Any]:
        return [cls(*row) for row in self._rows(table, _columns(cls))]

    def _index(self, t: Txn) -> None:
        self.txns[t.id] = t
        self.by_trace[(t.tid, t.trace)].append(t)
        if t.rrn:
            self.by_rrn[t.rrn] = t
        if t.kind == TxnKind.PRE_AUTH and t.auth_code:
            self.by_auth[t.auth_code].append(t)
        self.by_batch[(t.tid, t.batch)].append(t)

    # -----------------------------------------------------------------------------------------------------
    # Changes: the caller mutates a record, then saves it; save queues the row for the next commit
    # -----------------------------------------------------------------------------------------------------

    def _queue(self, table: str, record: Any) -> None:
        row = _ROW[table](record)
        key = row[0] if _TABLES[table][1] == 1 else row[:2]
        self._pending[(table, key)] = row

    def save_merchant(self, m: Merchant) -> None:
        self.merchants[m.mid] = m
        self._queue("merchants", m)

    def save_terminal(self, t: TerminalRecord) -> None:
        """Queue the terminal's durable part (TID, MID, TMK, batch); working keys stay in memory."""
        self.terminals[t.tid] = t
        self._pending[("terminals", t.tid)] = (t.tid, t.mid, t.tmk, t.batch)

    def save_issuer_keys(self, k: IssuerKeys) -> None:
        self.issuer_keys[k.name] = k
        self._queue("issuer_keys", k)

    def save_account(self, a: Account) -> None:
        self.accounts[a.id] = a
        self._queue("accounts", a)

    def save_card(self, c: Card) -> None:
        self.cards[c.pan] = c
        self._queue("cards", c)

    def save_batch(self, b: BatchRecord) -> None:
        self.batches[(b.tid, b.batch)] = b
        self._queue("batches", b)

    def save_order(self, o: QrOrder) -> None:
        self.orders[o.ref] = o
        self._queue("qr_orders", o)

    def save_code(self, p: PaymentCodeRecord) -> None:
        self.codes[p.code] = p
        self._queue("payment_codes", p)

    def delete_code(self, code: str) -> None:
        self.codes.pop(code, None)
        self._pending[("payment_codes", code)] = None

    def save_fault(self, f: FaultRule) -> None:
        self.faults[f.id] = f
        self.next_fault_id = max(self.next_fault_id, f.id + 1)
        self._queue("faults", f)

    def delete_fault(self, fault_id: int) -> None:
        self.faults.pop(fault_id, None)
        self._pending[("faults", fault_id)] = None

    def new_txn(self, **values: Any) -> Txn:
        """Create, index and queue a transaction with the next id.

        Unless given, the RRN is the id in 12 digits and an approval's authorisation code its last 6.
        """
        txn_id = self.next_txn_id
        values.setdefault("rrn", f"{txn_id:012d}")
        if values.get("response_code") == "00":
            values.setdefault("auth_code", f"{txn_id % 1_000_000:06d}")
        t = Txn(id=txn_id, **values)
        self.next_txn_id += 1
        self._index(t)
        self._queue("transactions", t)
        return t

    def save_txn(self, t: Txn) -> None:
        """Queue a changed transaction (status, refunded amount); its indexes do not change."""
        self._queue("transactions", t)

    def add_upload(
        self, tid: str, batch: int, trace: int, amount_fen: int, pan_masked: str, code: str
    ) -> None:
        """Queue one batch-upload detail (0320) as the terminal reported it."""
        self._pending[("batch_uploads", (tid, batch, trace, code))] = (
            tid,
            batch,
            trace,
            amount_fen,
            pan_masked,
            code,
        )

    def batch_of(self, tid: str, batch: int) -> BatchRecord:
        """The batch record, created open if the host has not seen it yet."""
        record = self.batches.get((tid, batch))
        if record is None:
            record = BatchRecord(tid, batch)
            self.save_batch(record)
        return record

    # -----------------------------------------------------------------------------------------------------
    # Durability
    # -----------------------------------------------------------------------------------------------------

    @property
    def outstanding(self) -> bool:
        """True while changes are queued or being committed."""
        return bool(self._pending) or self._flushing

    async def durable(self) -> None:
        """Return once every change queued so far (and any commit in progress) is committed.

        Raises:
            StoreError: the commit failed; the changes are not durable.
        """
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done(error: StoreError | None) -> None:
            if not fut.done():
                fut.set_result(None) if error is None else fut.set_exception(error)

        if self.when_durable(done):
            await fut

    def when_durable(self, callback: Callable[[StoreError | None], None]) -> bool:
        """Call ``callback(None)`` once every change queued so far is committed, or ``callback(error)`` if
        the commit failed; False (and no call) when nothing is outstanding. Must run on the event loop.

        Without a commit thread the queued changes are committed at the start of the loop's next
        iteration, after every request that arrived in this one was decided: one transaction and one
        fsync for all of them, then every callback runs at once.
        """
        if not self._pending and not self._flushing:
            return False
        self._callbacks.append(callback)
        if self._scheduled:
            return True
        self._scheduled = True
        loop = asyncio.get_running_loop()
        if self.commit_thread:
            self._flushing = True
            self._flush_task = loop.create_task(self._flush_loop())
        else:
            loop.call_soon(self._commit_round)
        return True

    def _take_round(
        self,
    ) -> tuple[dict[tuple[str, Any], tuple[Any, ...] | None], list[Callable[[StoreError | None], None]]]:
        batch, callbacks = self._pending, self._callbacks
        self._pending, self._callbacks = {}, []
        return batch, callbacks

    def _commit_round(self) -> None:
        self._scheduled = False
        batch, callbacks = self._take_round()
        error = self._write_logged(batch) if batch else None
        for callback in callbacks:
            callback(error)

    def _write_logged(self, batch: dict[tuple[str, Any], tuple[Any, ...] | None]) -> StoreError | None:
        try:
            self._write(batch)
        except Exception as exc:  # sqlite3.Error, or a bug binding a row: either way nothing is durable
            log.error("store commit of %d rows failed: %s", len(batch), exc.__class__.__name__)
            return StoreError(f"commit failed ({exc.__class__.__name__})")
        return None

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="posemu-host-store")
        try:
            while self._pending or self._callbacks:
                batch, callbacks = self._take_round()
                error = None
                if batch:
                    error = await loop.run_in_executor(self._executor, self._write_logged, batch)
                for callback in callbacks:
                    callback(error)
        finally:
            self._flushing = self._scheduled = False

    def _write(self, batch: dict[tuple[str, Any], tuple[Any, ...] | None]) -> None:
        grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        deletes: list[tuple[str, Any]] = []
        for (table, key), row in batch.items():
            if row is None:
                deletes.append((table, key))
            else:
                grouped[table].append(row)
        conn = self._conn
        started = time.thread_time()
        conn.execute("BEGIN")
        try:
            for table, rows in grouped.items():
                self._insert(table, rows)
            for table, key in deletes:
                column = "code" if table == "payment_codes" else "id"
                conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (key,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.commits += 1
        self.commit_cpu_s += time.thread_time() - started

    def _insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Upsert rows with multi-row statements: SQLite steps (and Python hands the GIL over) once per
        statement instead of once per row, which keeps the writer thread from queueing behind the loop."""
        columns = self._table_columns(table)
        per = max(1, _MAX_VARIABLES // len(columns))
        one = "(" + ", ".join("?" * len(columns)) + ")"
        head = f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES "
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            self._conn.execute(head + ", ".join([one] * len(chunk)), [v for row in chunk for v in row])

    @staticmethod
    def _table_columns(table: str) -> tuple[str, ...]:
        if table == "terminals":
            return _TERMINAL_COLUMNS
        if table == "batch_uploads":
            return ("tid", "batch", "trace", "amount_fen", "pan_masked", "network_code")
        return _columns(_TABLES[table][0])

    def commit_now(self) -> None:
        """Commit the queued changes synchronously: for seeding and tools, never while the loop commits.

        Raises:
            StoreError: a commit is in progress on the writer thread, or SQLite failed.
        """
        if self._flushing or self._scheduled:
            raise StoreError("commit_now while a commit round is due")
        batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            self._write(batch)
        except sqlite3.Error as exc:
            raise StoreError(f"commit failed: {exc}") from exc

    def close(self) -> None:
        """Commit what is queued and close the database (call after the server stopped)."""
        if not self._flushing:
            self._scheduled = False
            self.commit_now()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._conn.close()

    # -----------------------------------------------------------------------------------------------------
    # Queries used by the handlers
    # -----------------------------------------------------------------------------------------------------

    def batch_totals(self, tid: str, batch: int) -> tuple[list[Txn], list[Txn]]:
        """The batch's transactions in effect that settlement counts: (debits, credits)."""
        debits: list[Txn] = []
        credits: list[Txn] = []
        for t in self.by_batch.get((tid, batch), ()):
            if t.status != TxnStatus.ACTIVE or t.response_code != "00":
                continue
            if t.kind in (TxnKind.PURCHASE, TxnKind.COMPLETION, TxnKind.QR_ORDER):
                debits.append(t)
            elif t.kind == TxnKind.REFUND:
                credits.append(t)
        return debits, credits
