"""terminal.auth: a reversal is its original request (fields, PAN from the encrypted journal) with the
reason in field 39 and the field 55 tags a 0400 carries (DOMAIN_FACTS A)."""

from __future__ import annotations

from pathlib import Path

from emv import tlv
from host import requests as rq
from terminal.auth import Authoriser, rebuild_request, request_record
from terminal.journal import Journal

TID = rq.TerminalId("10000019", "850100082410002")
PAN = "6224242900000113"


def test_record_keeps_no_secret_and_rebuilds_the_request() -> None:
    icc = tlv.encode([(0x9F26, bytes(8)), (0x95, bytes(5)), (0x9F36, b"\x00\x07"), (0x9F10, b"\x07\x01")])
    card = rq.CardData(pan=PAN, track2=PAN + "D2806201", icc=icc, pin_block=bytes(8), entry_mode="051")
    request = rq.void(TID, 9, 1, 1000, "000000000001", "000001", 2, card)
    record = request_record(request)
    assert PAN not in record and "D2806" not in record and "9F26" not in record.upper()
    rebuilt, reversal_icc = rebuild_request(record, PAN, TID)
    assert rebuilt.mti == "0200" and rebuilt[3] == "200000" and rebuilt[2] == PAN
    assert rebuilt[37] == "000000000001" and rebuilt[38] == "000001" and 61 in rebuilt
    assert tlv.as_tree(tlv.decode(reversal_icc)) == [
        (0x95, bytes(5)),
        (0x9F10, b"\x07\x01"),
        (0x9F36, b"\x00\x07"),
    ]


def test_reversal_message_of_a_journalled_void(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db", bytes(range(32)))
    auth = Authoriser(None, journal, lambda: TID)  # type: ignore[arg-type]
    icc = tlv.encode([(0x95, b"\x00\x00\x00\x80\x00"), (0x9F36, b"\x00\x07")])
    request = rq.void(TID, 9, 1, 1000, "000000000001", "000001", 2, rq.CardData(pan=PAN, icc=icc))
    txn = journal.begin_online("void", 1000, 156, PAN, "chip", trace=9, request=request_record(request))
    pending = journal.pending_reversal()
    assert pending is not None and pending.txn.id == txn
    message = auth.reversal_message(pending)
    assert message.mti == "0400" and message[39] == "98" and message[3] == "200000" and message[2] == PAN
    assert message[11] == "000009" and 61 in message and message[38] == "000001"
    assert tlv.parse(message[55]) == {0x95: b"\x00\x00\x00\x80\x00", 0x9F36: b"\x00\x07"}  # type: ignore[arg-type]
    journal.close()


def test_a_reversal_after_the_second_generate_ac_carries_the_final_card_data() -> None:
    from terminal.auth import with_reversal_icc

    request = rq.purchase(TID, 5, 1, 1000, rq.CardData(pan=PAN, icc=tlv.encode([(0x95, bytes(5))])))
    final = {
        0x95: b"\x00\x00\x00\x00\x10",
        0x9F36: b"\x00\x08",
        0xDF31: b"\x20\x00\x00\x00\x01",
        0x9F26: bytes(8),
    }
    record = with_reversal_icc(request_record(request), final)
    _, icc = rebuild_request(record, PAN, TID)
    assert tlv.parse(icc) == {
        0x95: b"\x00\x00\x00\x00\x10",
        0x9F36: b"\x00\x08",
        0xDF31: b"\x20\x00\x00\x00\x01",
    }
