"""Operators: the supervisor (主管, number 00) and cashiers, with passwords hashed by scrypt
(RFC 7914) and a lockout after repeated failures (MERCHANT_GUIDE: operator login; settings protected).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import sqlite3

__all__ = ["LOCKOUT_AFTER", "LOCKOUT_MINUTES", "Operators"]

LOCKOUT_AFTER = 3  # failures in a row
LOCKOUT_MINUTES = 5
_N, _R, _P = 2**14, 8, 1  # scrypt cost: about 20 ms here, 16 MiB


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("ascii"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


class Operators:
    """Operator records in the journal's ``operators`` table."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def add(self, number: str, name: str, role: str, password: str) -> None:
        """Create or replace an operator; ``role`` is ``supervisor`` or ``cashier``.

        Raises:
            ValueError: a bad number, role or password (4 to 12 digits).
        """
        if not (number.isdigit() and len(number) == 2) or role not in ("supervisor", "cashier"):
            raise ValueError("an operator has a 2-digit number and the role supervisor or cashier")
        if not (password.isdigit() and 4 <= len(password) <= 12):
            raise ValueError("a password has 4 to 12 digits")
        salt = os.urandom(16)
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO operators (number, name, role, pw_hash, pw_salt) "
                "VALUES (?, ?, ?, ?, ?)",
                (number, name, role, _hash(password, salt), salt),
            )

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM operators").fetchone()[0])

    def role(self, number: str) -> str | None:
        row = self.db.execute("SELECT role FROM operators WHERE number=?", (number,)).fetchone()
        return None if row is None else str(row[0])

    def check(self, number: str, password: str, now: dt.datetime) -> str:
        """``ok``, ``bad`` (wrong number or password), or ``locked``; failures are counted durably."""
        row = self.db.execute(
            "SELECT pw_hash, pw_salt, failures, locked_until FROM operators WHERE number=?", (number,)
        ).fetchone()
        if row is None:
            return "bad"
        pw_hash, salt, failures, locked_until = row
        if locked_until and now < dt.datetime.fromisoformat(locked_until):
            return "locked"
        ok = password.isdigit() and hmac.compare_digest(_hash(password, salt), pw_hash)
        with self.db:
            if ok:
                self.db.execute(
                    "UPDATE operators SET failures=0, locked_until=NULL WHERE number=?", (number,)
                )
                return "ok"
            failures += 1
            until = (
                (now + dt.timedelta(minutes=LOCKOUT_MINUTES)).isoformat()
                if failures >= LOCKOUT_AFTER
                else None
            )
            self.db.execute(
                "UPDATE operators SET failures=?, locked_until=? WHERE number=?",
                (0 if until else failures, until, number),
            )
        return "locked" if until else "bad"

    def is_supervisor_password(self, password: str, now: dt.datetime) -> bool:
        """The supervisor's password (void, refund, settings), with the same lockout."""
        row = self.db.execute(
            "SELECT number FROM operators WHERE role='supervisor' ORDER BY number"
        ).fetchone()
        return row is not None and self.check(str(row[0]), password, now) == "ok"
