"""terminal.journal: write order, reversal record, crash recovery, PAN at rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.journal import REVERSAL_TRIES, Journal, JournalError

PAN = "6224242900000113"
KEY = bytes(range(32))


def _open(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.db", KEY)


def test_reversal_record_exists_before_the_request_leaves(tmp_path: Path) -> None:
    j = _open(tmp_path)
    txn = j.begin_online("sale", 1000, 156, PAN, "chip", trace=j.next_trace())
    pending = j.pending_reversal()
    assert pending is not None and pending.txn.id == txn and pending.reason == "98"
    with pytest.raises(JournalError):  # nothing else goes online while it is pending
        j.begin_online("sale", 500, 156, PAN, "chip", trace=j.next_trace())
    j.record_outcome(txn, "approved", response_code="00", rrn="123456789012", auth_code="A1B2C3")
    assert j.pending_reversal() is None
    row = j.get(txn)
    assert row is not None and row.state == "approved" and row.receipt == "pending"


def test_crash_after_request_leaves_recovers_a_98_reversal(tmp_path: Path) -> None:
    j = _open(tmp_path)
    txn = j.begin_online("sale", 1000, 156, PAN, "chip", trace=j.next_trace())
    j.db.close()  # power cut: no outcome recorded
    j2 = _open(tmp_path)
    rec = j2.recovery()
    assert [r.txn.id for r in rec.pending_reversals] == [txn] and rec.pending_reversals[0].reason == "98"
    assert [t.id for t in rec.interrupted] == [txn]
    assert j2.get(txn).state == "failed"  # type: ignore[union-attr]
    j2.reversal_sent(txn, answered=True)
    assert j2.pending_reversal() is None and j2.get(txn).state == "reversed"  # type: ignore[union-attr]


def test_unprinted_receipt_is_offered_after_a_crash(tmp_path: Path) -> None:
    j = _open(tmp_path)
    txn = j.begin_online("sale", 1000, 156, PAN, "chip", trace=j.next_trace())
    j.record_outcome(txn, "approved", response_code="00")
    j.db.close()
    rec = _open(tmp_path).recovery()
    assert [t.id for t in rec.unprinted] == [txn] and not rec.pending_reversals


def test_reversal_kept_after_three_tries_and_retried_next_session(tmp_path: Path) -> None:
    j = _open(tmp_path)
    txn = j.begin_online("sale", 1000, 156, PAN, "chip", trace=j.next_trace())
    j.record_outcome(txn, "approved", response_code="00", reversal_reason="06")
    for _ in range(REVERSAL_TRIES):
        pending = j.pending_reversal()
        assert pending is not None and pending.reason == "06"
        j.reversal_sent(txn, answered=False)
    assert j.pending_reversal() is None  # kept, not blocking this session
    rec = j.recovery()  # next session
    assert rec.pending_reversals[0].tries == 0 and j.pending_reversal() is not None


def test_pan_is_encrypted_at_rest_and_masked_in_rows(tmp_path: Path) -> None:
    j = _open(tmp_path)
    txn = j.begin_online("sale", 1000, 156, PAN, "chip", trace=j.next_trace())
    j.record_outcome(txn, "approved", response_code="00")
    assert j.get(txn).pan_masked == "622424******0113"  # type: ignore[union-attr]
    assert j.reveal_pan(txn) == PAN
    j.db.execute("PRAGMA wal_checkpoint(FULL)")
    j.close()
    for name in os.listdir(tmp_path):
        assert PAN.encode() not in (tmp_path / name).read_bytes()
    with pytest.raises(JournalError):
        Journal(tmp_path / "journal.db", bytes(32)).reveal_pan(txn)


def test_amounts_are_integers(tmp_path: Path) -> None:
    j = _open(tmp_path)
    with pytest.raises(JournalError):
        j.begin_online("sale", 10.5, 156, PAN, "chip", trace=1)  # type: ignore[arg-type]


def test_trace_numbers_wrap_and_batch_is_adopted(tmp_path: Path) -> None:
    j = _open(tmp_path)
    j.db.execute("UPDATE counters SET value=999998 WHERE name='trace'")
    assert [j.next_trace(), j.next_trace(), j.next_trace()] == [999999, 1, 2]
    j.set_batch(25)
    assert j.batch == 25


def test_schema_newer_than_firmware_is_refused(tmp_path: Path) -> None:
    j = _open(tmp_path)
    j.db.execute("PRAGMA user_version=99")
    j.close()
    with pytest.raises(JournalError):
        _open(tmp_path)


def test_a_version_1_journal_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    import sqlite3

    from terminal.journal import _MIGRATIONS

    db = sqlite3.connect(tmp_path / "journal.db", isolation_level=None)
    db.executescript("BEGIN;" + _MIGRATIONS[0] + "PRAGMA user_version=1; COMMIT;")
    db.execute(
        "INSERT INTO txns (kind, state, batch, trace, amount_minor, currency_n, pan_masked, entry_mode, "
        "created_at, updated_at) VALUES ('sale', 'approved', 1, 2, 100, 156, '', 'chip', 'x', 'x')"
    )
    db.close()
    j = _open(tmp_path)
    assert j.db.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS)
    assert j.get(1).state == "approved"  # type: ignore[union-attr]
    assert j.original_request(1) is None and j.recent_amount(PAN) == 0
    j.close()


def test_rows_of_a_version_1_journal_join_the_floor_limit_log(tmp_path: Path) -> None:
    """A v1 row has its PAN encrypted but no hash: the upgrade adds the hash, so the card's approved
    amount counts toward the floor limit (Book 3 10.6.1); a PAN under another key is left alone."""
    import sqlite3

    from terminal.journal import _MIGRATIONS

    keyed = [Journal(tmp_path / f"k{n}.db", key) for n, key in enumerate((KEY, bytes(32)))]
    ours, theirs = (k._encrypt_pan(PAN) for k in keyed)
    for k in keyed:
        k.close()
    db = sqlite3.connect(tmp_path / "journal.db", isolation_level=None)
    db.executescript("BEGIN;" + _MIGRATIONS[0] + "PRAGMA user_version=1; COMMIT;")
    for trace, blob, amount in ((2, ours, 1500), (3, theirs, 700)):
        db.execute(
            "INSERT INTO txns (kind, state, batch, trace, amount_minor, currency_n, pan_masked, pan_enc, "
            "entry_mode, created_at, updated_at) "
            "VALUES ('sale', 'approved', 1, ?, ?, 156, '622424******0113', ?, 'chip', 'x', 'x')",
            (trace, amount, blob),
        )
    db.close()
    j = _open(tmp_path)
    assert j.recent_amount(PAN) == 1500
    assert j.db.execute("SELECT COUNT(*) FROM txns WHERE pan_hash IS NULL").fetchone()[0] == 0
    assert j.db.execute("SELECT COUNT(*) FROM txns WHERE pan_hash = ''").fetchone()[0] == 1
    j.close()
    again = _open(tmp_path)  # nothing left to backfill: the undecryptable row is not retried
    assert again.recent_amount(PAN) == 1500
    again.close()
