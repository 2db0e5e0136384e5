"""Issuer authentication on the card: ARPC checks for EXTERNAL AUTHENTICATE and the second GENERATE AC.

EMV 4.4 Book 2, 8.2 (ARPC methods 1 and 2) and Book 3, 6.5.4 (EXTERNAL AUTHENTICATE), 10.9. The issuer
authentication data ``91`` is ``ARPC (8) | ARC (2)`` for method 1 and ``ARPC (4) | CSU (4) | proprietary
authentication data (0-8)`` for method 2; the key is the one of the card's cryptogram version for the ATC
of this transaction (:func:`emv.crypto.ac.derive_ac_key`). A success moves the last online ATC ``9F13`` to
this ATC and clears the issuer-authentication flags the CVR carries; the script counters of the CVR restart
(they then count this transaction's script commands). A failure is remembered for the next transaction.
"""

from __future__ import annotations

import logging

from emv.apdu import Command
from emv.cards.state import Phase, Session
from emv.cards.sw import SW_AUTH_FAILED, SW_CONDITIONS, SW_OK, SW_WRONG_LENGTH, SW_WRONG_P1P2, Reply
from emv.crypto.ac import ArpcMethod, derive_ac_key, verify_arpc_1, verify_arpc_2

__all__ = ["authenticate_issuer", "external_authenticate", "session_key"]

log = logging.getLogger(__name__)


def session_key(s: Session, imk: bytes) -> bytes:
    """The card's key derived from issuer master key ``imk`` for the current ATC (Book 2, A1.3, A1.4)."""
    p = s.image.profile
    return derive_ac_key(p.cryptogram.version, imk, p.pan, p.psn, s.state.atc.to_bytes(2, "big"))


def _arpc_ok(s: Session, data: bytes) -> bool:
    version = s.image.profile.cryptogram.version
    key = session_key(s, s.image.profile.imk_ac)
    arqc = s.tx.first_ac
    if version.arpc_method is ArpcMethod.METHOD_1:
        return len(data) == 10 and verify_arpc_1(key, arqc, data[8:10], data[:8])
    return 8 <= len(data) <= 16 and verify_arpc_2(key, arqc, data[4:8], data[:4], data[8:])


def authenticate_issuer(s: Session, data: bytes) -> bool:
    """Check the issuer authentication data ``91`` once per transaction and record the outcome."""
    ok = _arpc_ok(s, data)
    log.debug("%s: issuer authentication %s", s.image.profile.name, "passed" if ok else "failed")
    tx, st = s.tx, s.state
    tx.issuer_auth_performed, tx.issuer_auth_ok = True, ok
    st.issuer_auth_failed_last = not ok
    if ok:
        st.last_online_atc = st.atc
        st.issuer_auth_not_performed_last = False
        st.script_count, st.script_failed = 0, False
    return ok


def external_authenticate(s: Session, cmd: Command) -> Reply:
    """EXTERNAL AUTHENTICATE (Book 3, 6.5.4): once, between the ARQC and the second GENERATE AC."""
    if cmd.p1 or cmd.p2:
        return b"", SW_WRONG_P1P2
    if s.tx.phase is not Phase.ONLINE or s.tx.issuer_auth_performed:
        return b"", SW_CONDITIONS
    if not 8 <= len(cmd.data) <= 16:
        return b"", SW_WRONG_LENGTH
    return b"", SW_OK if authenticate_issuer(s, cmd.data) else SW_AUTH_FAILED
