"""The qPBOC / qVSDC kernel's rules, one by one, on virtual cards whose answers are rewritten: GPO status
words, mandatory data, cryptogram type, fDDA failure and expiry by the CTQ, CVM, offline-only readers,
cash, ODA for online authorisations, removal (JR/T 0025.12; EMV Contactless Book C-3)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from emv import tlv
from emv.apdu import Command
from emv.cards.errors import CardRemovedError
from emv.kernel.contactless import Cvm, qpboc
from emv.kernel.contactless.qpboc import cryptogram_type, select_cvm
from emv.kernel.context import Outcome, TerminationError
from emv.kernel.params import ContactlessParams, TerminalParams

from .clkit import PARAMS, Rewrite, make_tap

GPO, READ, SELECT = 0xA8, 0xB2, 0xA4


def edit77(rapdu: bytes, changes: dict[int, bytes | None]) -> bytes:
    """Rewrite data objects of a 77 template (None removes one); the status word is kept."""
    [top] = tlv.decode(rapdu[:-2]).top()
    items = [(c.tag, changes.get(c.tag, c.value)) for c in top.children()]
    items += [
        (t, v) for t, v in changes.items() if v is not None and t not in {c.tag for c in top.children()}
    ]
    return tlv.encode([(0x77, [(t, v) for t, v in items if v is not None])]) + rapdu[-2:]


def on(ins: int, fn: Rewrite, nth: int = 1) -> Rewrite:
    """Apply ``fn`` to the ``nth`` answer to instruction ``ins`` only."""
    seen = [0]

    def rewrite(cmd: Command, rapdu: bytes) -> bytes:
        if cmd.ins != ins:
            return rapdu
        seen[0] += 1
        return fn(cmd, rapdu) if seen[0] == nth else rapdu

    return rewrite


def gpo_edit(changes: dict[int, bytes | None]) -> Rewrite:
    return on(GPO, lambda cmd, r: edit77(r, changes))


def sw(value: int) -> Rewrite:
    return lambda cmd, r: value.to_bytes(2, "big")


def with_ttq(ttq: str, terminal_type: int = 0x22) -> TerminalParams:
    cl = PARAMS.contactless
    assert cl is not None
    combos = tuple(dataclasses.replace(c, ttq=bytes.fromhex(ttq)) for c in cl.combinations)
    return dataclasses.replace(
        PARAMS, terminal_type=terminal_type, contactless=ContactlessParams(cl.ttq, 0x60, 0x08, combos)
    )


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        ({0x9F27: b"\x00"}, qpboc.AAC),
        ({0x9F27: b"\x40"}, qpboc.TC),
        ({0x9F27: b"\x80"}, qpboc.ARQC),
        ({0x9F27: b"\x88"}, qpboc.ARQC),  # advice bits do not matter
        ({0x9F10: bytes.fromhex("06011203A00000")}, qpboc.ARQC),  # CVR byte 2 b6-b5 = 10
        ({0x9F10: bytes.fromhex("0701010300000000")}, qpboc.AAC),
    ],
)
def test_cryptogram_type(card: dict[int, bytes], expected: int) -> None:
    assert cryptogram_type(card) == expected


@pytest.mark.parametrize(
    "card",
    [{0x9F27: b"\xc0"}, {0x9F27: b""}, {}, {0x9F10: bytes.fromhex("0601120330")}, {0x9F10: b"\x06\x01"}],
)
def test_cryptogram_type_unknown_terminates(card: dict[int, bytes]) -> None:
    with pytest.raises(TerminationError):
        cryptogram_type(card)


@pytest.mark.parametrize(
    ("ttq", "ctq", "required", "online", "expected"),
    [
        ("36C04000", "8000", True, True, Cvm.ONLINE_PIN),
        ("36C04000", "8000", True, False, None),  # offline-only reader: no online PIN
        ("36004000", "8000", False, True, Cvm.ONLINE_PIN),  # the card asks even below the CVM limit
        ("36C04000", "4000", True, True, Cvm.SIGNATURE),
        ("34C04000", "4000", True, True, None),  # signature asked, not supported
        ("36C04000", "0080", True, True, Cvm.CDCVM),
        ("36C00000", "0080", True, True, Cvm.SIGNATURE),  # no CDCVM at the reader: its own choice
        ("36C04000", "0000", True, True, Cvm.SIGNATURE),  # no card preference: the reader's choice
        ("34C04000", None, True, True, Cvm.ONLINE_PIN),
        ("30C04000", None, True, True, None),
        ("30004000", "0000", False, True, Cvm.NO_CVM),
    ],
)
def test_cvm_selection(ttq: str, ctq: str | None, required: bool, online: bool, expected: Cvm | None) -> None:
    raw = None if ctq is None else bytes.fromhex(ctq)
    assert select_cvm(bytes.fromhex(ttq), raw, required, online) == expected


@pytest.mark.parametrize(
    ("rewrite", "outcome", "reason", "tvr"),
    [
        (on(GPO, sw(0x6984)), "TRY_ANOTHER_INTERFACE", "the card asks for another interface (6984)", "00"),
        (on(GPO, sw(0x6A80)), "TERMINATED", "GET PROCESSING OPTIONS answered 6A80", "00"),
        (on(GPO, sw(0x6985)), "TERMINATED", "no contactless application the reader supports", "00"),
        (on(GPO, lambda c, r: b"\x80\x02\x7c\x00" + r[-2:]), "TERMINATED", "GPO response is not one", "00"),
        (on(GPO, lambda c, r: b"\x77\x05\x82" + r[-2:]), "TERMINATED", "malformed GPO response", "00"),
        (gpo_edit({0x9F26: None}), "TERMINATED", "data object 9F26 missing or malformed", "20"),
        (gpo_edit({0x9F36: b"\x01"}), "TERMINATED", "data object 9F36 missing or malformed", "20"),
        (gpo_edit({0x57: None}), "TERMINATED", "data object 57 missing or malformed", "20"),
        (gpo_edit({0x5A: bytes(8)}), "TERMINATED", "data object 5A appears twice", "00"),  # also in a record
        (gpo_edit({0x84: b"x"}), "TERMINATED", "data object 84 appears twice", "00"),  # also in the FCI
        (gpo_edit({0x9F27: b"\x00"}), "DECLINED_OFFLINE", "card declined (AAC)", "00"),
        (gpo_edit({0x94: b"\x08\x01"}), "TERMINATED", "AFL length is not a non-zero multiple of 4", "00"),
        (on(READ, sw(0x6A83), 2), "TERMINATED", "READ RECORD 1 of SFI 2 answered 6A83", "00"),
        (on(READ, lambda c, r: b"\x71\x00\x90\x00"), "TERMINATED", "record 1 of SFI 1 is not a 70", "00"),
        (on(SELECT, lambda c, r: r.replace(bytes.fromhex("9F6604"), bytes.fromhex("9F6504")), 2),
         "TERMINATED", "the PDOL does not ask for the TTQ 9F66", "00"),
    ],
)  # fmt: skip
def test_card_answers_that_end_the_tap(rewrite: Rewrite, outcome: str, reason: str, tvr: str) -> None:
    result = make_tap("qpboc-debit", rewrite=rewrite).start(1000)
    assert result.outcome.name == outcome and result.reason.startswith(reason), result.reason
    assert result.tvr[0:1].hex() == tvr and result.card_removable


def test_see_phone_is_a_try_again() -> None:
    result = make_tap("qpboc-debit", rewrite=on(GPO, sw(0x6986))).start(1000)
    assert (result.outcome, result.restart, result.ui_message) == (
        Outcome.TERMINATED,
        True,
        "See phone for instructions",
    )


def test_tc_without_cid_from_the_cvr() -> None:
    result = make_tap("qpboc-debit", rewrite=gpo_edit({0x9F27: None})).start(1000)
    assert result.outcome is Outcome.APPROVED_OFFLINE


def test_tc_when_the_reader_required_an_online_cryptogram_terminates() -> None:
    result = make_tap("qpboc-debit", rewrite=gpo_edit({0x9F27: b"\x40"})).start(50000)
    assert result.outcome is Outcome.TERMINATED and "required an online cryptogram" in result.reason


@pytest.mark.parametrize(
    ("ctq", "outcome", "reason_end"),
    [
        ("2000", "GO_ONLINE", "the card asks to go online"),
        ("1000", "TRY_ANOTHER_INTERFACE", "the card asks for the contact interface"),
        ("3000", "GO_ONLINE", "the card asks to go online"),  # online first when the reader can
        ("0000", "DECLINED_OFFLINE", "recovered data header is not 6A)"),
    ],
)
def test_fdda_failure_follows_the_ctq(ctq: str, outcome: str, reason_end: str) -> None:
    result = make_tap("qpboc-bad-fdda", rewrite=gpo_edit({0x9F6C: bytes.fromhex(ctq)})).start(1000)
    assert result.outcome.name == outcome and result.reason.endswith(reason_end), result.reason
    assert result.reason.startswith("fDDA failed") and result.tvr.hex() == "0800000000"


def test_fdda_failure_at_an_offline_only_reader_declines() -> None:
    result = make_tap("qpboc-bad-fdda", params=with_ttq("36004000", terminal_type=0x23)).start(1000)
    assert result.outcome is Outcome.DECLINED_OFFLINE


@pytest.mark.parametrize(
    ("changes", "reason", "tvr"),
    [
        ({0x9F4B: None}, "fDDA failed (signed dynamic data 9F4B missing)", "2800000000"),
        ({0x9F69: b"\x02\x00"}, "fDDA failed (card authentication related data names", "0800000000"),
        ({0x9F69: bytes.fromhex("01000000002000")}, "fDDA failed (signed dynamic data: hash", "0800000000"),
        ({0x82: b"\x5c\x00"}, "the card offers no fDDA for its TC", "8000000000"),
    ],
)  # fmt: skip
def test_fdda_data_problems(changes: dict[int, bytes | None], reason: str, tvr: str) -> None:
    result = make_tap("qpboc-debit", rewrite=gpo_edit(changes)).start(1000)
    assert result.reason.startswith(reason), result.reason
    assert result.tvr.hex().upper() == tvr.upper() and result.outcome is Outcome.GO_ONLINE  # CTQ 2000


def test_a_replayed_gpo_answer_fails_fdda() -> None:
    """The signature covers the amount: a GPO answer recorded at 10.00 does not pass at 20.00."""
    recorded: list[bytes] = []

    def record(cmd: Command, rapdu: bytes) -> bytes:
        recorded.append(rapdu)
        return rapdu

    make_tap("qpboc-debit", rewrite=on(GPO, record)).start(1000)
    result = make_tap("qpboc-debit", rewrite=on(GPO, lambda c, r: recorded[0])).start(2000)
    assert (
        result.reason == "fDDA failed (signed dynamic data: hash does not match): the card asks to go online"
    )
    assert result.tvr.hex() == "0800000000"
    same = make_tap("qpboc-debit", rewrite=on(GPO, lambda c, r: recorded[0])).start(1000)
    assert same.outcome is Outcome.APPROVED_OFFLINE  # same amount, same unpredictable number


@pytest.mark.parametrize(("ctq", "outcome"), [("2000", "DECLINED_OFFLINE"), ("2800", "GO_ONLINE")])
def test_expired_application(monkeypatch: pytest.MonkeyPatch, ctq: str, outcome: str) -> None:
    monkeypatch.setattr(qpboc, "verify_fdda", lambda ctx, capks: None)  # the certificates expire too
    tap = make_tap("qpboc-debit", rewrite=gpo_edit({0x9F6C: bytes.fromhex(ctq)}))
    result = tap.start(1000, when=dt.datetime(2030, 9, 1, 12, 0))
    assert result.outcome.name == outcome and "application expired" in result.reason
    assert result.tvr.hex() == "0040000000"


def test_arqc_at_an_offline_only_reader_declines() -> None:
    result = make_tap("qpboc-online", params=with_ttq("36004000", terminal_type=0x23)).start(1000)
    assert (result.outcome, result.reason) == (
        Outcome.DECLINED_OFFLINE,
        "the card asks to go online; the reader is offline-only",
    )


def test_oda_for_online_authorisations() -> None:
    tap = make_tap("qpboc-debit", params=with_ttq("37004000"))
    first = tap.start(50000)
    assert first.outcome is Outcome.GO_ONLINE
    assert (first.tvr.hex(), first.tsi.hex()) == ("0000000000", "8000")  # fDDA verified on the ARQC
    tap = make_tap("qpboc-bad-fdda", params=with_ttq("37004000"))
    first = tap.start(50000)
    assert (first.outcome, first.tvr.hex()) == (Outcome.GO_ONLINE, "0800000000")  # the issuer decides


@pytest.mark.parametrize(
    ("ttq", "outcome"), [("30004000", "TRY_ANOTHER_INTERFACE"), ("20004000", "DECLINED_OFFLINE")]
)
def test_cvm_required_and_none_possible(ttq: str, outcome: str) -> None:
    result = make_tap("qpboc-debit", params=with_ttq(ttq)).start(150000)
    assert result.outcome.name == outcome and result.reason.startswith("CVM required, none possible")
    assert (result.tvr[2], result.cvm_results.hex()) == (0x80, "3f0001")


def test_online_pin_not_entered() -> None:
    tap = make_tap("qpboc-debit", online_pin=False)
    result = tap.start(150000)
    assert (result.outcome, result.reason) == (Outcome.TERMINATED, "online PIN not entered")
    assert (result.tvr.hex(), result.cvm_results.hex()) == ("8000880000", "020001")
    assert tap.events[-2:] == ["removable", "online PIN"]


@pytest.mark.parametrize(("kind", "ctq", "outcome"), [(0x01, "2400", "TRY_ANOTHER_INTERFACE"),
                                                      (0x09, "2200", "TRY_ANOTHER_INTERFACE"),
                                                      (0x01, "2200", "APPROVED_OFFLINE"),
                                                      (0x00, "2600", "APPROVED_OFFLINE")])  # fmt: skip
def test_switch_interface_for_cash_and_cashback(kind: int, ctq: str, outcome: str) -> None:
    result = make_tap("qpboc-debit", rewrite=gpo_edit({0x9F6C: bytes.fromhex(ctq)})).start(1000, kind)
    assert result.outcome.name == outcome


def test_card_leaving_the_field_mid_tap() -> None:
    def gone(cmd: Command, rapdu: bytes) -> bytes:
        raise CardRemovedError()

    result = make_tap("qpboc-debit", rewrite=on(READ, gone, 2)).start(1000)
    assert (result.outcome, result.reason) == (Outcome.TERMINATED, "card error: card removed")
    assert result.removable_after == len(result.trace) == 5 and result.card_removable


def test_complete_without_a_tap_waiting() -> None:
    tap = make_tap("qpboc-debit")
    with pytest.raises(TerminationError):
        tap.kernel.complete(None)
    tap.start(1000)  # approved offline: nothing to complete
    with pytest.raises(TerminationError):
        tap.kernel.complete(None)
