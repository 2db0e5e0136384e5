"""The simulator's store: approvals durable across a restart, group commit, a failed commit, seeding."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from config.errors import ConfigError
from drivers.host import TcpHostLink
from host.records import TxnStatus
from host.requests import reversal
from host.runner import SimulatorThread
from host.seed import ServerSettings
from host.store import Store, StoreError
from tests.unit.host.sim_support import FAST_LINK, PANS, Term, host_config


def _started(db: Path, *, commit_thread: bool = False) -> SimulatorThread:
    return SimulatorThread(db, config=host_config(), listen=True, commit_thread=commit_thread).start()


def _term(sim: SimulatorThread) -> Term:
    assert sim.port is not None
    t = Term(TcpHostLink("127.0.0.1", sim.port, FAST_LINK))
    t.sign_on()
    return t


def test_pragmas_wal_and_full_sync(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "h.db")
    try:
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        store.close()


@pytest.mark.parametrize("commit_thread", [False, True])
def test_an_approval_survives_a_restart(tmp_path: Path, commit_thread: bool) -> None:
    db = tmp_path / "host.db"
    first = _started(db, commit_thread=commit_thread)
    try:
        t = _term(first)
        before = first.call(lambda sim: sim.account_of(PANS["pboc-sda"]).balance_fen)
        request, reply = t.purchase("pboc-sda", 4200)
        assert reply[39] == "00"
        t.link.close()
    finally:
        first.stop()
    second = _started(db)
    try:
        assert second.call(lambda sim: sim.account_of(PANS["pboc-sda"]).balance_fen) == before - 4200
        rrn = str(reply[37])
        assert second.call(lambda sim: sim.store.by_rrn[rrn].status) == TxnStatus.ACTIVE
        t2 = _term(second)  # keys are not kept: sign on again, then reverse the earlier purchase
        assert t2.send(reversal(request, "98"))[39] == "00"
        assert second.call(lambda sim: sim.account_of(PANS["pboc-sda"]).balance_fen) == before
        t2.link.close()
    finally:
        second.stop()
    rows = sqlite3.connect(db).execute("SELECT pan_masked FROM transactions").fetchall()
    assert rows and all("*" in r[0] for r in rows)  # transactions keep masked PANs only


@pytest.mark.parametrize("commit_thread", [False, True])
def test_concurrent_approvals_share_commits(tmp_path: Path, commit_thread: bool) -> None:
    sim = _started(tmp_path / "host.db", commit_thread=commit_thread)
    try:
        base = _term(sim)
        assert base.keys is not None
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            assert sim.port is not None
            t = Term(TcpHostLink("127.0.0.1", sim.port, FAST_LINK))
            t.keys, t.batch, t._trace = base.keys, base.batch, 1000 * (n + 1)
            assert base.keys is not None
            t.link.set_mac_key(base.keys.mak)
            try:
                for _ in range(8):
                    assert t.purchase("mc-dda", 100)[1][39] == "00"
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                t.link.close()

        commits_before = sim.call(lambda s: s.store.commits)
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        commits = sim.call(lambda s: s.store.commits) - commits_before
        assert 0 < commits < 96  # 96 approvals, fewer commits
    finally:
        sim.stop()


@pytest.mark.parametrize("commit_thread", [False, True])
def test_a_failed_commit_turns_the_approval_into_96(tmp_path: Path, commit_thread: bool) -> None:
    sim = _started(tmp_path / "host.db", commit_thread=commit_thread)
    try:
        t = _term(sim)

        def broken(batch: Any) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        sim.call(lambda s: setattr(s.store, "_write", broken))
        _, reply = t.purchase("pboc-sda", 100)
        assert reply[39] == "96" and 38 not in reply.fields
    finally:
        sim.call(lambda s: delattr(s.store, "_write"))
        sim.stop()


def test_open_refuses_a_non_database(tmp_path: Path) -> None:
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError):
        Store.open(bad)


def test_seed_comes_from_host_toml_and_the_card_profiles() -> None:
    with SimulatorThread() as sim:
        terminals = sim.call(lambda s: sorted(s.store.terminals))
        cards = sim.call(lambda s: set(s.store.cards))
        keys = sim.call(lambda s: s.store.issuer_keys["visa-cda"])
        assert terminals == ["10000019", "10000020"]
        assert set(PANS.values()) <= cards
        assert keys.cryptogram == "VISA_CVN18" and keys.imk_ac.hex() not in repr(keys).lower()


def test_server_settings_are_checked() -> None:
    with pytest.raises(ConfigError):
        ServerSettings.from_config({"server": {"prot": 1}})
    with pytest.raises(ConfigError):
        ServerSettings.from_config({"server": {"port": "5000"}})
    assert ServerSettings.from_config({"server": {"frame_timeout_s": 1}}).frame_timeout_s == 1.0
