"""Card risk management: which cryptogram the card returns (EMV 4.4 Book 3, 6.5.5.4 and Annex C).

The card honours the terminal's request or downgrades it (Book 3, Table 13: an AAC for any request; an
ARQC for a TC request; never a TC when an ARQC or AAC was asked). Its rules, after Visa VIS / PBOC 3.0 card
risk management as public descriptions give them [U]:

First GENERATE AC
  AAC if the terminal asked for one, the application is blocked, or the profile always declines
  (``risk.always_decline``). A TC request becomes an ARQC when the card wants to go online: a new card (last
  online ATC 0, if ``risk.online_if_new_card``), more transactions since the last online one than the lower
  consecutive offline limit ``9F14``, the PIN try limit exceeded, or, from the last transaction, issuer
  authentication failed or not performed, or an online transaction left uncompleted.
Second GENERATE AC (after an ARQC)
  AAC if asked, if the application was blocked meanwhile, or if the online answer declined (ARC other than
  ``00``, ``10``, ``11``). If the terminal could not go online (ARC ``Y3``/``Z3``), a TC only while the upper
  consecutive offline limit ``9F23`` is not exceeded, the card is not new and the PIN is not blocked.
  After an approval, an issuer authentication that failed gives an AAC if
  ``risk.decline_if_issuer_auth_fails``.

The offline count is ATC minus last online ATC, as the terminal's velocity check computes it (Book 3,
10.6.3); the last online ATC moves on a successful issuer authentication (:mod:`emv.cards.issuer`).

>>> is_approval(b"00"), is_approval(b"05"), is_unable_online(b"Y3")
(True, False, True)
"""

from __future__ import annotations

import logging

from emv.cards.cvn import AcType, CvrFacts
from emv.cards.state import Session

__all__ = ["cvr_facts", "decide_first", "decide_second", "is_approval", "is_unable_online"]

log = logging.getLogger(__name__)

_APPROVALS = frozenset((b"00", b"11"))  # as the terminal: 10 (partial approval) is not taken
_UNABLE_ONLINE = frozenset((b"Y3", b"Z3"))


def is_approval(arc: bytes) -> bool:
    """Tell whether an authorisation response code ``8A`` approves (Book 4, A6)."""
    return arc in _APPROVALS


def is_unable_online(arc: bytes) -> bool:
    """Tell whether ``8A`` is the terminal's "unable to go online" code (Book 4, A6: Y3, Z3)."""
    return arc in _UNABLE_ONLINE


def _wants_online(s: Session) -> bool:
    st, tx, p = s.state, s.tx, s.image.profile
    return (
        (st.is_new_card and p.online_if_new_card)
        or st.offline_count > st.lower_offline_limit
        or st.pin_try_counter == 0
        or tx.issuer_auth_failed_last
        or tx.issuer_auth_not_performed_last
        or tx.last_online_not_completed
    )


def decide_first(s: Session, requested: AcType) -> AcType:
    """The cryptogram type of the first GENERATE AC."""
    if requested is AcType.AAC or s.state.app_blocked or s.image.profile.always_decline:
        return AcType.AAC
    if requested is AcType.ARQC or _wants_online(s):
        return AcType.ARQC
    return AcType.TC


def decide_second(s: Session, requested: AcType, arc: bytes) -> AcType:
    """The cryptogram type of the second GENERATE AC, given the ARC the terminal passed in CDOL2."""
    st, tx, p = s.state, s.tx, s.image.profile
    if requested is not AcType.TC or st.app_blocked or p.always_decline:
        return AcType.AAC
    if is_unable_online(arc):
        offline_ok = (
            st.offline_count <= st.upper_offline_limit
            and not (st.is_new_card and p.online_if_new_card)
            and st.pin_try_counter > 0
        )
        return AcType.TC if offline_ok else AcType.AAC
    if not is_approval(arc):
        return AcType.AAC
    if tx.issuer_auth_performed and not tx.issuer_auth_ok and p.decline_if_issuer_auth_fails:
        return AcType.AAC
    return AcType.TC


def cvr_facts(
    s: Session, first: AcType, second: AcType | None = None, arc: bytes = b"", cda: bool = False
) -> CvrFacts:
    """The facts the CVR of this response reports (Visa VIS / PBOC 3.0, M/Chip 4 layouts in cvn).

    ``cda`` tells whether this response is CDA-signed.
    """
    st, tx = s.state, s.tx
    return CvrFacts(
        first_ac=first,
        second_ac=second,
        issuer_auth_failed=tx.issuer_auth_performed and not tx.issuer_auth_ok,
        issuer_auth_performed=tx.issuer_auth_performed,
        offline_pin_performed=tx.offline_pin_performed,
        offline_pin_failed=tx.offline_pin_failed,
        offline_enciphered_pin=tx.offline_enciphered_pin,
        unable_to_go_online=is_unable_online(arc),
        last_online_not_completed=tx.last_online_not_completed,
        pin_try_limit_exceeded=st.pin_try_counter == 0,
        velocity_exceeded=st.offline_count > st.lower_offline_limit,
        upper_limit_exceeded=st.offline_count > st.upper_offline_limit,
        new_card=st.is_new_card,
        issuer_auth_failed_last=tx.issuer_auth_failed_last,
        issuer_auth_not_performed_last=tx.issuer_auth_not_performed_last,
        script_count=st.script_count,
        script_failed=st.script_failed,
        dda_performed=tx.dda_performed,
        cda_first=tx.cda_first if second is not None else cda,
        cda_second=second is not None and cda,
        pin_try_counter=st.pin_try_counter,
    )
