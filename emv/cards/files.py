"""Selection and reading: SELECT, READ RECORD, GET DATA, GET PROCESSING OPTIONS, GET CHALLENGE.

EMV 4.4 Book 1, 11.3 (SELECT, by DF name with partial names and next occurrence; the PSE of 12.2.2 whose
directory is read with READ RECORD), Book 1, 11.2 and Book 3, 10.2 (READ RECORD), Book 3, 6.5.7 (GET DATA),
6.5.8 (GET PROCESSING OPTIONS: template 83 with the PDOL related data; response format 1 ``80`` or format 2
``77``; the ATC is incremented), 6.5.6 (GET CHALLENGE). Each handler takes the card's :class:`Session` and
the parsed command and returns ``(data, status word)``.
"""

from __future__ import annotations

import logging

from emv.apdu import Command
from emv.cards.personalise import PSE_NAME, build_record
from emv.cards.state import Phase, Session, Transaction
from emv.cards.sw import (
    SW_CONDITIONS,
    SW_DATA_NOT_FOUND,
    SW_FILE_NOT_FOUND,
    SW_OK,
    SW_RECORD_NOT_FOUND,
    SW_SELECTED_BLOCKED,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    Reply,
)
from emv.dol import dol_length
from emv.tlv import encode

__all__ = ["get_challenge", "get_data", "get_processing_options", "read_record", "select"]

log = logging.getLogger(__name__)

APP_PHASES = frozenset((Phase.SELECTED, Phase.INITIATED, Phase.ONLINE, Phase.COMPLETED))
"""Phases in which the application is selected."""


def select(s: Session, cmd: Command) -> Reply:
    """SELECT by DF name (P1 04), first (P2 00) or next (P2 02) occurrence (Book 1, 11.3).

    A name that is the start of the AID (5 bytes at least) selects it; the next occurrence after the
    application finds nothing (6A82). A blocked application is selected with 6283 and its FCI.
    """
    if cmd.p1 != 0x04 or cmd.p2 not in (0x00, 0x02):
        return b"", SW_WRONG_P1P2
    if not cmd.data:
        return b"", SW_WRONG_LENGTH
    image = s.image
    if cmd.data == PSE_NAME:
        if image.pse_fci is None or cmd.p2 == 0x02:
            return b"", SW_FILE_NOT_FOUND
        s.tx = Transaction(phase=Phase.PSE)
        return image.pse_fci, SW_OK
    aid = image.profile.aid
    if len(cmd.data) < 5 or not aid.startswith(cmd.data):
        return b"", SW_FILE_NOT_FOUND
    if cmd.p2 == 0x02 and s.tx.phase in APP_PHASES and s.tx.select_match >= 0:
        return b"", SW_FILE_NOT_FOUND  # the card holds one application: there is no next occurrence
    s.tx = Transaction(phase=Phase.SELECTED, select_match=0)
    return image.fci, SW_SELECTED_BLOCKED if s.state.app_blocked else SW_OK


def read_record(s: Session, cmd: Command) -> Reply:
    """READ RECORD P1 = record, P2 = SFI << 3 | 4 (Book 1, 11.2): records, PSE directory, transaction log."""
    if cmd.p2 & 0x07 != 0x04 or cmd.p1 == 0:
        return b"", SW_WRONG_P1P2
    sfi, rec = cmd.p2 >> 3, cmd.p1
    profile = s.image.profile
    if s.tx.phase is Phase.PSE:
        if sfi != profile.pse_sfi:
            return b"", SW_FILE_NOT_FOUND
        record = s.image.pse_records.get(rec)
        return (record, SW_OK) if record is not None else (b"", SW_RECORD_NOT_FOUND)
    if s.tx.phase not in APP_PHASES:
        return b"", SW_FILE_NOT_FOUND
    if sfi == profile.log_sfi:
        log = s.state.log
        return (log[rec - 1], SW_OK) if rec <= len(log) else (b"", SW_RECORD_NOT_FOUND)
    items = s.state.records.get((sfi, rec))
    if items is not None:
        return build_record(tuple(items)), SW_OK
    if any(key[0] == sfi for key in s.state.records):
        return b"", SW_RECORD_NOT_FOUND
    return b"", SW_FILE_NOT_FOUND


def get_data(s: Session, cmd: Command) -> Reply:
    """GET DATA for 9F36, 9F13, 9F17, 9F14, 9F23 and 9F4F (Book 3, 6.5.7); others 6A88."""
    if s.tx.phase not in APP_PHASES:
        return b"", SW_CONDITIONS
    tag = cmd.p1 << 8 | cmd.p2
    st = s.state
    values = {
        0x9F36: st.atc.to_bytes(2, "big"),
        0x9F13: st.last_online_atc.to_bytes(2, "big"),
        0x9F17: bytes((st.pin_try_counter,)),
        0x9F14: bytes((st.lower_offline_limit,)),
        0x9F23: bytes((st.upper_offline_limit,)),
    }
    if s.image.profile.log_format:
        values[0x9F4F] = s.image.profile.log_format
    value = values.get(tag)
    if value is None:
        return b"", SW_DATA_NOT_FOUND
    return encode([(tag, value)]), SW_OK


def get_processing_options(s: Session, cmd: Command) -> Reply:
    """GET PROCESSING OPTIONS (Book 3, 6.5.8): check the PDOL data, count the ATC, give AIP and AFL."""
    if cmd.p1 or cmd.p2:
        return b"", SW_WRONG_P1P2
    if s.tx.phase is not Phase.SELECTED:
        return b"", SW_CONDITIONS
    profile, data = s.image.profile, cmd.data
    if len(data) < 2 or data[0] != 0x83:
        return b"", SW_WRONG_DATA
    header = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    length = int.from_bytes(data[2:header], "big") if header > 2 else data[1]
    pdol = profile.pdol_list
    if length != len(data) - header or length != dol_length(pdol):
        return b"", SW_WRONG_LENGTH
    st = s.state
    if st.atc >= 0xFFFF:
        return b"", SW_CONDITIONS  # the ATC cannot count further: the application is dead
    st.atc += 1
    tx = s.tx
    tx.pdol_data = data[header:]
    tx.take(pdol, tx.pdol_data)
    tx.last_online_not_completed = st.last_online_not_completed
    tx.issuer_auth_failed_last = st.issuer_auth_failed_last
    tx.issuer_auth_not_performed_last = st.issuer_auth_not_performed_last
    tx.phase = Phase.INITIATED
    if profile.gpo_format == 1:
        return encode([(0x80, profile.aip + profile.afl)]), SW_OK
    return encode([(0x77, [(0x82, profile.aip), (0x94, profile.afl)])]), SW_OK


def get_challenge(s: Session, cmd: Command) -> Reply:
    """GET CHALLENGE (Book 3, 6.5.6): 8 random bytes, kept for an enciphered PIN (Book 2, 7.2)."""
    if cmd.p1 or cmd.p2:
        return b"", SW_WRONG_P1P2
    s.tx.challenge = s.random_bytes(8)
    return s.tx.challenge, SW_OK
