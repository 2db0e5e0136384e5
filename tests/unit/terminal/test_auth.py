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


def test_a_row_journalled_without_its_request_is_reversed_as_what_it_was(tmp_path: Path) -> None:
    """A pre-authorisation tapped before requests were recorded: its 0400 is a pre-auth reversal (f3
    030000, f25 06) with the tap's f22, not a swipe purchase."""
    journal = Journal(tmp_path / "j.db", bytes(range(32)))
    auth = Authoriser(None, journal, lambda: TID)  # type: ignore[arg-type]
    journal.begin_online("preauth", 5000, 156, PAN, "tap", trace=12)
    pending = journal.pending_reversal()
    assert pending is not None
    message = auth.reversal_message(pending)
    assert message.mti == "0400" and message[3] == "030000" and message[25] == "06"
    assert message[22] == "072" and message[4] == "000000005000" and message[11] == "000012"
    journal.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_reversal_that_never_left_the_terminal_is_not_a_try(tmp_path: Path) -> None:
    """No connection to the host: the 0400 was not sent, so the reversal keeps all its tries."""
    from drivers.host import LinkSettings, TcpHostLink

    journal = Journal(tmp_path / "j.db", bytes(range(32)))
    link = TcpHostLink(
        "127.0.0.1",
        _closed_port(),
        LinkSettings(connect_timeout_s=0.5, response_timeout_s=0.5, retries=0, retry_delay_s=0.0),
    )
    auth = Authoriser(link, journal, lambda: TID)
    request = rq.purchase(TID, 3, 1, 1000, rq.CardData(pan=PAN))
    txn = journal.begin_online("sale", 1000, 156, PAN, "chip", trace=3, request=request_record(request))
    for _ in range(5):
        assert auth.send_pending_reversals() is False
    pending = journal.pending_reversal()
    assert pending is not None and pending.txn.id == txn and pending.tries == 0
    journal.close()


def test_a_request_that_does_not_encode_leaves_nothing_in_the_journal(tmp_path: Path) -> None:
    """A malformed request is refused before the journal: no pending transaction, no reversal to send."""
    import pytest

    from host.errors import Iso8583Error
    from host.protocol import Message

    journal = Journal(tmp_path / "j.db", bytes(range(32)))
    auth = Authoriser(None, journal, lambda: TID)  # type: ignore[arg-type]
    good = rq.purchase(TID, 4, 1, 1000, rq.CardData(pan=PAN))
    bad = Message(good.mti, {**good.fields, 4: "12X4"}, good.tpdu, good.header)
    with pytest.raises(Iso8583Error):
        auth.authorise("sale", bad, 1000, PAN, "chip", operator="01")
    assert journal.pending_reversal() is None and journal.get(1) is None
    journal.close()


def test_a_void_journalled_without_its_request_is_reversed_as_a_void(tmp_path: Path) -> None:
    """The void's 0400 names its original from the original's row: RRN 37, code 38, batch/trace in 61."""
    journal = Journal(tmp_path / "j.db", bytes(range(32)))
    auth = Authoriser(None, journal, lambda: TID)  # type: ignore[arg-type]
    sale = journal.begin_online("sale", 1000, 156, PAN, "chip", trace=7)
    journal.record_outcome(sale, "approved", response_code="00", rrn="123456789012", auth_code="654321")
    journal.begin_online("void", 1000, 156, PAN, "manual", trace=8, original_id=sale)
    pending = journal.pending_reversal()
    assert pending is not None and pending.txn.kind == "void"
    message = auth.reversal_message(pending)
    assert message.mti == "0400" and message[3] == "200000" and message[38] == "654321"
    assert message[22] == "012" and message[11] == "000008" and "000007" in str(message[61])
    journal.close()
