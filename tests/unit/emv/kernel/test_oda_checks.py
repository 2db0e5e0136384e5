"""Every offline data authentication check of EMV 4.4 Book 2 (sections 5 and 6) refuses a bad certificate
with its own reason: a real virtual card's data, one element spoiled at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from emv.cards import load_card
from emv.kernel import oda
from emv.kernel.capk import default_capks
from emv.kernel.context import Context, Transaction, init_terminal_data
from emv.kernel.kernel import ContactKernel
from emv.kernel.params import Revocation, default_params
from terminal.commands.emv import _ScriptedCardholder

PARAMS, CAPKS = default_params(), default_capks()
WHEN = dt.datetime(2026, 11, 26, 10, 0, 0)


def _ctx(profile: str, when: dt.datetime = WHEN) -> Context:
    card = load_card(profile)
    ui = _ScriptedCardholder(card.image.profile.pin)
    kernel = ContactKernel(PARAMS, CAPKS, card.transmit, ui)
    ctx = Context(
        PARAMS, Transaction(amount_minor=1000, when=when, sequence_counter=1), card.transmit, ui, bytes(4)
    )
    init_terminal_data(ctx, 0x05)
    kernel._select_and_read(ctx)
    return ctx


def _issuer(ctx: Context, revoked: frozenset[Revocation] = frozenset()) -> oda.PublicKey:
    return oda.recover_issuer_key(ctx, CAPKS, revoked)


def test_the_untouched_chain_verifies() -> None:
    ctx = _ctx("visa-cda")
    icc = oda.recover_icc_key(ctx, _issuer(ctx))
    assert len(icc.modulus) == 128


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda c: c.card.__setitem__(0x8F, b"\x42"), "no CA public key for index 42"),
        (lambda c: c.card.__setitem__(0x8F, b""), "CA public key index 8F is not 1 byte"),
        (
            lambda c: c.card.__setitem__(0x90, c.card[0x90][:-1]),
            "issuer certificate: length or value does not fit the key",
        ),
        (
            lambda c: c.card.__setitem__(0x9F32, b"\x01\x00\x01"),
            "issuer certificate: exponent length differs from 9F32",
        ),
        (
            lambda c: c.card.__setitem__(0x5A, bytes.fromhex("5413330089020011")),
            "issuer identifier does not match the PAN",
        ),
        (lambda c: c.card.pop(0x90), "data object 90 missing"),
    ],
)  # fmt: skip
def test_issuer_certificate_checks(spoil: object, reason: str) -> None:
    ctx = _ctx("visa-cda")
    spoil(ctx)  # type: ignore[operator]
    with pytest.raises(oda.OdaError) as err:
        _issuer(ctx)
    assert err.value.reason == reason


def test_issuer_certificate_hash_covers_the_remainder() -> None:
    ctx = _ctx("visa-cda")
    if 0x92 not in ctx.card:
        pytest.skip("this issuer key fits its certificate: no remainder")
    ctx.card[0x92] = bytes([ctx.card[0x92][0] ^ 1]) + ctx.card[0x92][1:]
    with pytest.raises(oda.OdaError) as err:
        _issuer(ctx)
    assert err.value.reason == "issuer certificate: hash does not match"


def test_expired_issuer_certificate() -> None:
    ctx = _ctx("visa-cda", when=dt.datetime(2099, 1, 1))
    with pytest.raises(oda.OdaError) as err:
        _issuer(ctx)
    assert err.value.reason == "issuer certificate: certificate expired"


def test_revocation_list() -> None:
    ctx = _ctx("revoked-issuer")
    _issuer(ctx)  # verifies without the list
    with pytest.raises(oda.OdaError) as err:
        _issuer(ctx, PARAMS.revoked)
    assert err.value.reason == "issuer certificate is revoked"


def test_icc_certificate_checks() -> None:
    ctx = _ctx("visa-cda")
    issuer = _issuer(ctx)
    pan = ctx.card[0x5A]
    ctx.card[0x5A] = pan[:-1] + bytes([pan[-1] ^ 0x01])  # same issuer identifier, another card
    with pytest.raises(oda.OdaError) as err:
        oda.recover_icc_key(ctx, issuer)
    assert err.value.reason == "ICC certificate: PAN does not match the card's PAN"
    ctx.card[0x5A] = pan
    ctx.static_data[0] ^= 0x01  # the signed records changed
    with pytest.raises(oda.OdaError) as err:
        oda.recover_icc_key(ctx, issuer)
    assert err.value.reason == "ICC certificate: hash does not match"
    ctx.static_data[0] ^= 0x01
    ctx.card[0x9F47] = b"\x01\x00\x01"
    with pytest.raises(oda.OdaError) as err:
        oda.recover_icc_key(ctx, issuer)
    assert err.value.reason == "ICC certificate: exponent length differs from 9F47"


def test_signed_static_data_checks() -> None:
    ctx = _ctx("pboc-sda")
    issuer = _issuer(ctx)
    oda.sda(ctx, issuer)
    assert len(ctx.card[0x9F45]) == 2  # the data authentication code
    ctx.static_data[-1] ^= 0x01
    with pytest.raises(oda.OdaError) as err:
        oda.sda(ctx, issuer)
    assert err.value.reason == "signed static data: hash does not match"
    ctx.static_data[-1] ^= 0x01
    ctx.static_data_ok = False  # a record for ODA that was not a 70 template
    with pytest.raises(oda.OdaError) as err:
        oda.sda(ctx, issuer)
    assert err.value.reason == "static data to authenticate is not well formed"


def test_sdad_header_and_hash_checks() -> None:
    ctx = _ctx("mc-dda")
    icc = oda.recover_icc_key(ctx, _issuer(ctx))
    oda.dda(ctx, icc)  # INTERNAL AUTHENTICATE verifies
    assert 0x9F4C in ctx.card
    wrong = dataclasses.replace(icc, exponent=b"\x03")
    with pytest.raises(oda.OdaError):
        oda.dda(ctx, wrong)  # another key: the recovered block is not 6A...BC


def test_cda_hash_covers_the_objects_as_received() -> None:
    """Book 2 6.6.2: the response's data objects but 9F4B as sent, padding left out, no re-encoding."""
    from emv import tlv
    from emv.kernel.oda import _objects_as_received

    inner = bytes.fromhex("9F270180009F4B0111009F368200020007")  # a non-minimal 82 length kept
    d = tlv.decode(bytes([0x77, len(inner)]) + inner)
    assert _objects_as_received(d.top()[0], 0x9F4B).hex() == "9f2701809f368200020007"
