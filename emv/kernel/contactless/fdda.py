"""fDDA: verifying the signed dynamic application data of a GPO response (EMV Contactless Book C-3,
"Offline Data Authentication" (fDDA); JR/T 0025.12 qPBOC, fast DDA; the signature format of EMV 4.4
Book 2 6.5).

The issuer and ICC public keys are recovered exactly as for contact DDA (:func:`emv.kernel.oda.recover_
issuer_key`, :func:`emv.kernel.oda.recover_icc_key`: CAPK, certificates, PAN, expiry, revocation, static
data hash). The signature ``9F4B`` arrives with the GPO response instead of from INTERNAL AUTHENTICATE,
and its hash covers the *terminal dynamic data*, not a DDOL:

- fDDA version ``01`` (``9F69`` present, its first byte 01): unpredictable number ``9F37`` | amount
  authorised ``9F02`` | transaction currency code ``5F2A`` | card authentication related data ``9F69``;
- fDDA version ``00`` (no ``9F69``): the unpredictable number alone.

The recovered block is ``6A | 05 | 01 | L_DD | ICC dynamic data | BB... | SHA-1 | BC``. A failure raises
:class:`emv.kernel.oda.OdaError` with the check that failed; the kernel sets the TVR and decides by the CTQ.

>>> terminal = {0x9F37: bytes.fromhex("01020304"), 0x9F02: bytes.fromhex("000000001000")}
>>> terminal[0x5F2A] = bytes.fromhex("0156")
>>> terminal_dynamic_data(terminal, {}).hex()
'01020304'
>>> terminal_dynamic_data(terminal, {0x9F69: bytes.fromhex("01A1B2C3D42000")}).hex()
'01020304000000001000015601a1b2c3d42000'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from emv.kernel.capk import CapkStore
from emv.kernel.context import Context
from emv.kernel.oda import OdaError, PublicKey, recover_icc_key, recover_issuer_key

__all__ = ["terminal_dynamic_data", "verify_fdda"]


def terminal_dynamic_data(terminal: Mapping[int, bytes], card: Mapping[int, bytes]) -> bytes:
    """The data the fDDA signature's hash covers after the signed block, by fDDA version.

    Raises:
        OdaError: ``9F69`` names an fDDA version other than 00 or 01.
    """
    un = terminal.get(0x9F37, b"")
    cad = card.get(0x9F69)
    if cad is None or cad[:1] == b"\x00":
        return un
    if cad[:1] != b"\x01":
        raise OdaError("card authentication related data names an unknown fDDA version")
    return un + terminal.get(0x9F02, b"") + terminal.get(0x5F2A, b"") + cad


def verify_fdda(ctx: Context, capks: CapkStore) -> PublicKey:
    """Recover the keys and verify ``9F4B`` over the terminal dynamic data; returns the ICC public key.

    Raises:
        OdaError: a certificate or signature check failed, or the data it needs is missing.
    """
    issuer = recover_issuer_key(ctx, capks, ctx.params.revoked)
    icc = recover_icc_key(ctx, issuer)
    ctx.icc_public_key = (icc.modulus, icc.exponent)
    sdad = ctx.card.get(0x9F4B)
    if not sdad:
        raise OdaError("signed dynamic data 9F4B missing", missing=True)
    x = icc.open(sdad, "signed dynamic data")
    if x[1] != 0x05 or x[2] != 0x01:
        raise OdaError("signed dynamic data: format or hash algorithm")
    ldd = x[3]
    if 4 + ldd > len(x) - 21:
        raise OdaError("signed dynamic data: dynamic data length overruns")
    if hashlib.sha1(x[1:-21] + terminal_dynamic_data(ctx.terminal, ctx.card)).digest() != x[-21:-1]:
        raise OdaError("signed dynamic data: hash does not match")
    dyn = x[4 : 4 + ldd]
    if dyn and 1 + dyn[0] <= len(dyn):
        ctx.card[0x9F4C] = dyn[1 : 1 + dyn[0]]
    return icc
