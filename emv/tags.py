"""The EMV tag dictionary: name, format, origin, length and sensitivity of every data element we meet.

Sources, by group in :data:`TAGS`:

- EMV 4.4 Book 3, Annex A (Table 33, the data elements dictionary), with the tags EMV 4.4 Book 1
  Annex B and Book 4 define for the terminal, and Book B (Entry Point) for ``9F29`` and ``9F2A``;
- JR/T 0025 (PBOC 3.0, the China financial IC card specification) for the debit/credit, qPBOC and
  electronic cash (EC) data elements and the CAPP extended application (``DF60``-``DF63``, segmented
  purchase), plus the UnionPay tags that real ISO 8583 field 55 messages carry (``DF31`` issuer script
  results, ``DF32``-``DF34`` for CUPMobile);
- EMV Contactless Book C-2 (the Mastercard kernel), Annex A, for ``56``, ``9F60``-``9F6B`` where PBOC
  does not use them, ``DF81xx`` and the ``FF81xx`` templates.

One int tag maps to one :class:`TagInfo`. Where the specifications give a tag two meanings, this terminal
(a UnionPay acquirer's) follows JR/T 0025, except that ``9F6B`` is kept as C-2's Track 2 Data so that it is
always masked (qPBOC and Visa use it for the Card CVM Limit, which masking hides harmlessly). The other
meanings, for a reader of kernel traces:

- ``9F51`` DRDOL, ``9F53`` Transaction Category Code, ``9F54`` DS ODS Card, ``9F5C`` DS Requested Operator
  ID, ``9F5D`` Application Capabilities Information, ``9F61`` CVC3 (Track2), ``9F62`` PCVC3 (Track1),
  ``9F63`` PUNATC (Track1), ``9F66`` PUNATC (Track2), ``9F69`` UDOL, ``9F6C`` Application Version Number
  (Card), ``9F6D`` Mag-stripe Application Version Number (Reader), ``9F72``-``9F79`` data envelopes,
  ``9F7C`` Merchant Custom Data, ``DF60``-``DF63`` Data Storage objects: all in C-2;
- ``9F67`` MSD Offset and ``9F6E`` Form Factor Indicator in Visa's kernel (C-3).

Formats are Book 3 section 4.3's: ``n`` BCD digits, ``cn`` BCD left-justified and ``F``-padded, ``an`` and
``ans`` text, ``b`` binary. Alphabetic (``a``) elements are recorded as ``an`` and the ``var.`` ones as
``b`` (or ``an`` for IBAN and BIC, which are text). Lengths are in bytes; where the specification says
``var.`` the maximum is 252, what a record can carry, 248 (the largest RSA modulus) for certificates
and signatures, and 1024 for the C-2 kernel's own ``FF81xx`` templates, which no record bounds.
Templates (constructed tags, b6 of the first tag byte set) have format ``b``.

This module is longer than STYLE.md's 400 lines because most of it is the table, one line per tag.

>>> name_of(0x9F02), str(info(0x9F02).fmt), is_sensitive(0x5A)
('Amount, Authorised (Numeric)', 'n', True)
>>> format_value(0x5A, bytes.fromhex("6224242900000113"))
'622424******0113'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from emv.errors import TlvError
from emv.redact import mask_pan, mask_track1, mask_track2
from emv.tlv import decode, is_constructed

__all__ = [
    "TAGS",
    "TAG_PAN",
    "TAG_TRACK1_DATA",
    "TAG_TRACK2_DATA",
    "TAG_TRACK2_EQUIVALENT_DATA",
    "Format",
    "Source",
    "TagInfo",
    "format_value",
    "info",
    "is_sensitive",
    "name_of",
]

TAG_PAN = 0x5A
TAG_TRACK1_DATA = 0x56
TAG_TRACK2_EQUIVALENT_DATA = 0x57
TAG_TRACK2_DATA = 0x9F6B


class Format(StrEnum):
    """Data element formats (EMV 4.4 Book 3, section 4.3)."""

    N = "n"  # numeric, BCD, right-justified with leading zeros
    CN = "cn"  # compressed numeric, BCD, left-justified with trailing F padding
    AN = "an"  # alphanumeric text
    ANS = "ans"  # alphanumeric and special characters
    B = "b"  # binary


class Source(StrEnum):
    """Where a data element comes from (the "Source" column of Book 3, Annex A)."""

    CARD = "card"  # the ICC
    TERMINAL = "terminal"  # the terminal or its kernel
    ISSUER = "issuer"  # the issuer, through the online response


@dataclass(frozen=True, slots=True)
class TagInfo:
    """What the dictionary knows about one tag.

    >>> TAGS[0x70].template, TAGS[0x80].template  # 80 is called a template but is primitive
    (True, False)
    """

    tag: int
    name: str
    fmt: Format
    source: Source
    sensitive: bool = field(default=False, kw_only=True)
    min_len: int
    max_len: int

    @property
    def template(self) -> bool:
        """True for a constructed tag (b6 of its first byte set): its value is nested TLV objects."""
        return is_constructed(self.tag)

    def __repr__(self) -> str:
        return (
            f"TagInfo(tag=0x{self.tag:02X}, name={self.name!r}, fmt={str(self.fmt)!r}, "
            f"source={str(self.source)!r}, sensitive={self.sensitive}, min_len={self.min_len}, "
            f"max_len={self.max_len})"
        )


_N, _CN, _AN, _ANS, _B = Format.N, Format.CN, Format.AN, Format.ANS, Format.B
_ICC, _TRM, _ISS = Source.CARD, Source.TERMINAL, Source.ISSUER
_VAR = 252  # "var." in the specifications: at most what one record (or response) carries
_CERT = 248  # certificates and signatures: the largest RSA modulus, 1984 bits
_KERNEL = 1024  # C-2 kernel-internal templates, not bound by a record


def _t(tag: int, name: str, fmt: Format, source: Source, lo: int, hi: int, secret: bool = False) -> TagInfo:
    return TagInfo(tag, name, fmt, source, lo, hi, sensitive=secret)


_ENTRIES = (
    # EMV 4.4 Book 3, Annex A (with Book 1 Annex B, Book 4 and Book B)
    _t(0x42, "Issuer Identification Number (IIN)", _N, _ICC, 3, 3),
    _t(0x4F, "Application Identifier (AID) - card", _B, _ICC, 5, 16),
    _t(0x50, "Application Label", _ANS, _ICC, 1, 16),
    _t(0x57, "Track 2 Equivalent Data", _B, _ICC, 1, 19, secret=True),
    _t(0x5A, "Application Primary Account Number (PAN)", _CN, _ICC, 1, 10, secret=True),
    _t(0x5F20, "Cardholder Name", _ANS, _ICC, 2, 26, secret=True),
    _t(0x5F24, "Application Expiration Date", _N, _ICC, 3, 3),
    _t(0x5F25, "Application Effective Date", _N, _ICC, 3, 3),
    _t(0x5F28, "Issuer Country Code", _N, _ICC, 2, 2),
    _t(0x5F2A, "Transaction Currency Code", _N, _TRM, 2, 2),
    _t(0x5F2D, "Language Preference", _AN, _ICC, 2, 8),
    _t(0x5F30, "Service Code", _N, _ICC, 2, 2),
    _t(0x5F34, "Application Primary Account Number (PAN) Sequence Number", _N, _ICC, 1, 1),
    _t(0x5F36, "Transaction Currency Exponent", _N, _TRM, 1, 1),
    _t(0x5F50, "Issuer URL", _ANS, _ICC, 1, _VAR),
    _t(0x5F53, "International Bank Account Number (IBAN)", _AN, _ICC, 1, 34),
    _t(0x5F54, "Bank Identifier Code (BIC)", _AN, _ICC, 8, 11),
    _t(0x5F55, "Issuer Country Code (alpha2 format)", _AN, _ICC, 2, 2),
    _t(0x5F56, "Issuer Country Code (alpha3 format)", _AN, _ICC, 3, 3),
    _t(0x5F57, "Account Type", _N, _TRM, 1, 1),
    _t(0x61, "Application Template", _B, _ICC, 0, _VAR),
    _t(0x6F, "File Control Information (FCI) Template", _B, _ICC, 0, _VAR),
    _t(0x70, "READ RECORD Response Message Template", _B, _ICC, 0, _VAR),
    _t(0x71, "Issuer Script Template 1", _B, _ISS, 0, _VAR),
    _t(0x72, "Issuer Script Template 2", _B, _ISS, 0, _VAR),
    _t(0x73, "Directory Discretionary Template", _B, _ICC, 0, _VAR),
    _t(0x77, "Response Message Template Format 2", _B, _ICC, 0, _VAR),
    _t(0x80, "Response Message Template Format 1", _B, _ICC, 0, _VAR),
    _t(0x81, "Amount, Authorised (Binary)", _B, _TRM, 4, 4),
    _t(0x82, "Application Interchange Profile (AIP)", _B, _ICC, 2, 2),
    _t(0x83, "Command Template", _B, _TRM, 0, _VAR),
    _t(0x84, "Dedicated File (DF) Name", _B, _ICC, 5, 16),
    _t(0x86, "Issuer Script Command", _B, _ISS, 1, 261),
    _t(0x87, "Application Priority Indicator", _B, _ICC, 1, 1),
    _t(0x88, "Short File Identifier (SFI)", _B, _ICC, 1, 1),
    _t(0x89, "Authorisation Code", _ANS, _ISS, 6, 6),
    _t(0x8A, "Authorisation Response Code", _AN, _ISS, 2, 2),
    _t(0x8C, "Card Risk Management Data Object List 1 (CDOL1)", _B, _ICC, 1, _VAR),
    _t(0x8D, "Card Risk Management Data Object List 2 (CDOL2)", _B, _ICC, 1, _VAR),
    _t(0x8E, "Cardholder Verification Method (CVM) List", _B, _ICC, 10, _VAR),
    _t(0x8F, "Certification Authority Public Key Index", _B, _ICC, 1, 1),
    _t(0x90, "Issuer Public Key Certificate", _B, _ICC, 1, _CERT),
    _t(0x91, "Issuer Authentication Data", _B, _ISS, 8, 16),
    _t(0x92, "Issuer Public Key Remainder", _B, _ICC, 1, _CERT),
    _t(0x93, "Signed Static Application Data (SSAD)", _B, _ICC, 1, _CERT),
    _t(0x94, "Application File Locator (AFL)", _B, _ICC, 4, _VAR),
    _t(0x95, "Terminal Verification Results (TVR)", _B, _TRM, 5, 5),
    _t(0x97, "Transaction Certificate Data Object List (TDOL)", _B, _ICC, 1, _VAR),
    _t(0x98, "Transaction Certificate (TC) Hash Value", _B, _TRM, 20, 20),
    _t(0x99, "Transaction Personal Identification Number (PIN) Data", _B, _TRM, 1, _VAR, secret=True),
    _t(0x9A, "Transaction Date", _N, _TRM, 3, 3),
    _t(0x9B, "Transaction Status Information (TSI)", _B, _TRM, 2, 2),
    _t(0x9C, "Transaction Type", _N, _TRM, 1, 1),
    _t(0x9D, "Directory Definition File (DDF) Name", _B, _ICC, 5, 16),
    _t(0x9F01, "Acquirer Identifier", _N, _TRM, 6, 6),
    _t(0x9F02, "Amount, Authorised (Numeric)", _N, _TRM, 6, 6),
    _t(0x9F03, "Amount, Other (Numeric)", _N, _TRM, 6, 6),
    _t(0x9F04, "Amount, Other (Binary)", _B, _TRM, 4, 4),
    _t(0x9F05, "Application Discretionary Data", _B, _ICC, 1, 32),
    _t(0x9F06, "Application Identifier (AID) - terminal", _B, _TRM, 5, 16),
    _t(0x9F07, "Application Usage Control (AUC)", _B, _ICC, 2, 2),
    _t(0x9F08, "Application Version Number - card", _B, _ICC, 2, 2),
    _t(0x9F09, "Application Version Number - terminal", _B, _TRM, 2, 2),
    _t(0x9F0A, "Application Selection Registered Proprietary Data (ASRPD)", _B, _ICC, 1, _VAR),
    _t(0x9F0B, "Cardholder Name Extended", _ANS, _ICC, 27, 45, secret=True),
    _t(0x9F0C, "Issuer Identification Number Extended (IINE)", _N, _ICC, 3, 4),
    _t(0x9F0D, "Issuer Action Code - Default", _B, _ICC, 5, 5),
    _t(0x9F0E, "Issuer Action Code - Denial", _B, _ICC, 5, 5),
    _t(0x9F0F, "Issuer Action Code - Online", _B, _ICC, 5, 5),
    _t(0x9F10, "Issuer Application Data (IAD)", _B, _ICC, 1, 32),
    _t(0x9F11, "Issuer Code Table Index", _N, _ICC, 1, 1),
    _t(0x9F12, "Application Preferred Name", _ANS, _ICC, 1, 16),
    _t(0x9F13, "Last Online Application Transaction Counter (ATC) Register", _B, _ICC, 2, 2),
    _t(0x9F14, "Lower Consecutive Offline Limit", _B, _ICC, 1, 1),
    _t(0x9F15, "Merchant Category Code", _N, _TRM, 2, 2),
    _t(0x9F16, "Merchant Identifier", _ANS, _TRM, 15, 15),
    _t(0x9F17, "Personal Identification Number (PIN) Try Counter", _B, _ICC, 1, 1),
    _t(0x9F18, "Issuer Script Identifier", _B, _ISS, 4, 4),
    _t(0x9F19, "Token Requestor ID", _N, _ICC, 6, 6),
    _t(0x9F1A, "Terminal Country Code", _N, _TRM, 2, 2),
    _t(0x9F1B, "Terminal Floor Limit", _B, _TRM, 4, 4),
    _t(0x9F1C, "Terminal Identification", _AN, _TRM, 8, 8),
    _t(0x9F1D, "Terminal Risk Management Data", _B, _TRM, 1, 8),
    _t(0x9F1E, "Interface Device (IFD) Serial Number", _AN, _TRM, 8, 8),
    _t(0x9F1F, "Track 1 Discretionary Data", _ANS, _ICC, 1, _VAR, secret=True),
    _t(0x9F20, "Track 2 Discretionary Data", _CN, _ICC, 1, _VAR, secret=True),
    _t(0x9F21, "Transaction Time", _N, _TRM, 3, 3),
    _t(0x9F22, "Certification Authority Public Key Index - terminal", _B, _TRM, 1, 1),
    _t(0x9F23, "Upper Consecutive Offline Limit", _B, _ICC, 1, 1),
    _t(0x9F24, "Payment Account Reference (PAR)", _AN, _ICC, 29, 29),
    _t(0x9F25, "Last 4 Digits of PAN", _N, _ICC, 2, 2),
    _t(0x9F26, "Application Cryptogram", _B, _ICC, 8, 8),
    _t(0x9F27, "Cryptogram Information Data", _B, _ICC, 1, 1),
    _t(0x9F29, "Extended Selection", _B, _ICC, 1, _VAR),
    _t(0x9F2A, "Kernel Identifier", _B, _ICC, 1, 8),
    _t(0x9F2D, "ICC PIN Encipherment Public Key Certificate", _B, _ICC, 1, _CERT),
    _t(0x9F2E, "ICC PIN Encipherment Public Key Exponent", _B, _ICC, 1, 3),
    _t(0x9F2F, "ICC PIN Encipherment Public Key Remainder", _B, _ICC, 1, _CERT),
    _t(0x9F32, "Issuer Public Key Exponent", _B, _ICC, 1, 3),
    _t(0x9F33, "Terminal Capabilities", _B, _TRM, 3, 3),
    _t(0x9F34, "Cardholder Verification Method (CVM) Results", _B, _TRM, 3, 3),
    _t(0x9F35, "Terminal Type", _N, _TRM, 1, 1),
    _t(0x9F36, "Application Transaction Counter (ATC)", _B, _ICC, 2, 2),
    _t(0x9F37, "Unpredictable Number", _B, _TRM, 4, 4),
    _t(0x9F38, "Processing Options Data Object List (PDOL)", _B, _ICC, 1, _VAR),
    _t(0x9F39, "Point-of-Service (POS) Entry Mode", _N, _TRM, 1, 1),
    _t(0x9F3A, "Amount, Reference Currency", _B, _TRM, 4, 4),
    _t(0x9F3B, "Application Reference Currency", _N, _ICC, 2, 8),
    _t(0x9F3C, "Transaction Reference Currency Code", _N, _TRM, 2, 2),
    _t(0x9F3D, "Transaction Reference Currency Exponent", _N, _TRM, 1, 1),
    _t(0x9F40, "Additional Terminal Capabilities", _B, _TRM, 5, 5),
    _t(0x9F41, "Transaction Sequence Counter", _N, _TRM, 2, 4),
    _t(0x9F42, "Application Currency Code", _N, _ICC, 2, 2),
    _t(0x9F43, "Application Reference Currency Exponent", _N, _ICC, 1, 4),
    _t(0x9F44, "Application Currency Exponent", _N, _ICC, 1, 1),
    _t(0x9F45, "Data Authentication Code", _B, _ICC, 2, 2),
    _t(0x9F46, "ICC Public Key Certificate", _B, _ICC, 1, _CERT),
    _t(0x9F47, "ICC Public Key Exponent", _B, _ICC, 1, 3),
    _t(0x9F48, "ICC Public Key Remainder", _B, _ICC, 1, _CERT),
    _t(0x9F49, "Dynamic Data Authentication Data Object List (DDOL)", _B, _ICC, 1, _VAR),
    _t(0x9F4A, "Static Data Authentication Tag List", _B, _ICC, 1, _VAR),
    _t(0x9F4B, "Signed Dynamic Application Data (SDAD)", _B, _ICC, 1, _CERT),
    _t(0x9F4C, "ICC Dynamic Number", _B, _ICC, 2, 8),
    _t(0x9F4D, "Log Entry", _B, _ICC, 2, 2),
    _t(0x9F4E, "Merchant Name and Location", _ANS, _TRM, 1, _VAR),
    _t(0x9F4F, "Log Format", _B, _ICC, 1, _VAR),
    _t(0xA5, "File Control Information (FCI) Proprietary Template", _B, _ICC, 0, _VAR),
    _t(0xBF0C, "File Control Information (FCI) Issuer Discretionary Data", _B, _ICC, 0, 222),
    # JR/T 0025 (PBOC 3.0): debit/credit, qPBOC, electronic cash; UnionPay field 55 tags
    _t(0x9F51, "Application Currency Code (PBOC)", _N, _ICC, 2, 2),
    _t(0x9F52, "Application Default Action (ADA)", _B, _ICC, 2, 2),
    _t(0x9F53, "Consecutive Transaction Limit (International-Currency)", _B, _ICC, 1, 1),
    _t(0x9F54, "Cumulative Total Transaction Amount Limit (CTTAL)", _N, _ICC, 6, 6),
    _t(0x9F56, "Issuer Authentication Indicator", _B, _ICC, 1, 1),
    _t(0x9F57, "Issuer Country Code (PBOC)", _N, _ICC, 2, 2),
    _t(0x9F58, "Lower Consecutive Offline Limit (PBOC)", _B, _ICC, 1, 1),
    _t(0x9F59, "Upper Consecutive Offline Limit (PBOC)", _B, _ICC, 1, 1),
    _t(0x9F5A, "Issuer URL2", _ANS, _ICC, 1, _VAR),
    _t(0x9F5C, "Cumulative Total Transaction Amount Upper Limit (CTTAUL)", _N, _ICC, 6, 6),
    _t(0x9F5D, "Available Offline Spending Amount", _N, _ICC, 6, 6),
    _t(0x9F61, "Cardholder ID Number", _AN, _ICC, 1, 40, secret=True),
    _t(0x9F62, "Cardholder ID Type", _CN, _ICC, 1, 1),
    _t(0x9F63, "Card Product Identification Information", _B, _ICC, 16, 16),
    _t(0x9F66, "Terminal Transaction Qualifiers (TTQ)", _B, _TRM, 4, 4),
    _t(0x9F68, "Card Additional Processes", _B, _ICC, 4, 4),
    _t(0x9F69, "Card Authentication Related Data", _B, _ICC, 5, 16),
    _t(0x9F6C, "Card Transaction Qualifiers (CTQ)", _B, _ICC, 2, 2),
    _t(0x9F6D, "Electronic Cash Reset Threshold", _N, _ICC, 6, 6),
    _t(0x9F72, "Consecutive Transaction Limit (International-Country)", _B, _ICC, 1, 1),
    _t(0x9F73, "Currency Conversion Factor", _B, _ICC, 4, 4),
    _t(0x9F74, "Electronic Cash Issuer Authorisation Code", _AN, _ICC, 6, 6),
    _t(0x9F75, "Cumulative Total Transaction Amount Limit (Dual Currency)", _N, _ICC, 6, 6),
    _t(0x9F76, "Secondary Application Currency Code", _N, _ICC, 2, 2),
    _t(0x9F77, "Electronic Cash Balance Limit", _N, _ICC, 6, 6),
    _t(0x9F78, "Electronic Cash Single Transaction Limit", _N, _ICC, 6, 6),
    _t(0x9F79, "Electronic Cash Balance", _N, _ICC, 6, 6),
    _t(0x9F7A, "Electronic Cash Terminal Support Indicator", _B, _TRM, 1, 1),
    _t(0x9F7B, "Electronic Cash Terminal Transaction Limit", _N, _TRM, 6, 6),
    _t(0x9F7C, "Partner Discretionary Data", _B, _ICC, 1, 32),
    _t(0xDF31, "Issuer Script Results", _B, _TRM, 5, 250),
    _t(0xDF32, "Chip Serial Number", _B, _ICC, 8, 32),
    _t(0xDF33, "Process Key Data", _B, _ICC, 8, 32),
    _t(0xDF34, "Terminal Read Time", _N, _TRM, 7, 7),
    _t(0xDF4D, "Electronic Cash Load Log Entry", _B, _ICC, 2, 2),
    _t(0xDF4F, "Electronic Cash Load Log Format", _B, _ICC, 1, _VAR),
    _t(0xDF60, "CAPP Transaction Indicator", _B, _TRM, 1, 1),
    _t(0xDF61, "Segmented Purchase Application Identifier", _B, _ICC, 1, 1),
    _t(0xDF62, "Electronic Cash Segmented Purchase Deduction Limit", _N, _ICC, 6, 6),
    _t(0xDF63, "Electronic Cash Segmented Purchase Amount Deducted", _N, _ICC, 6, 6),
    _t(0xDF69, "SM Algorithm Support Indicator", _B, _TRM, 1, 1),
    # EMV Contactless Book C-2 (Mastercard kernel), Annex A
    _t(0x56, "Track 1 Data", _ANS, _ICC, 1, 76, secret=True),
    _t(0x9F60, "CVC3 (Track1)", _B, _ICC, 2, 2),
    _t(0x9F64, "NATC (Track1)", _B, _ICC, 1, 1),
    _t(0x9F65, "PCVC3 (Track2)", _B, _ICC, 2, 2),
    _t(0x9F67, "NATC (Track2)", _B, _ICC, 1, 1),
    _t(0x9F6A, "Unpredictable Number (Numeric)", _N, _TRM, 4, 4),
    _t(0x9F6B, "Track 2 Data", _B, _ICC, 1, 19, secret=True),
    _t(0x9F6E, "Third Party Data", _B, _ICC, 4, 32),
    _t(0xDF8101, "DS Summary 2", _B, _TRM, 8, 16),
    _t(0xDF8102, "DS Summary 3", _B, _TRM, 8, 16),
    _t(0xDF8104, "Balance Read Before Gen AC", _N, _TRM, 6, 6),
    _t(0xDF8105, "Balance Read After Gen AC", _N, _TRM, 6, 6),
    _t(0xDF8106, "Data Needed", _B, _TRM, 0, _VAR),
    _t(0xDF8107, "CDOL1 Related Data", _B, _TRM, 1, _VAR),
    _t(0xDF8108, "DS AC Type", _B, _TRM, 1, 1),
    _t(0xDF8109, "DS Input (Term)", _B, _TRM, 8, 8),
    _t(0xDF810A, "DS ODS Info For Reader", _B, _TRM, 1, 1),
    _t(0xDF810B, "DS Summary Status", _B, _TRM, 1, 1),
    _t(0xDF810C, "Kernel ID", _B, _TRM, 1, 1),
    _t(0xDF810D, "DSVN Term", _B, _TRM, 1, _VAR),
    _t(0xDF810E, "Post-Gen AC Put Data Status", _B, _TRM, 1, 1),
    _t(0xDF810F, "Pre-Gen AC Put Data Status", _B, _TRM, 1, 1),
    _t(0xDF8110, "Proceed To First Write Flag", _B, _TRM, 1, 1),
    _t(0xDF8111, "PDOL Related Data", _B, _TRM, 1, _VAR),
    _t(0xDF8112, "Tags To Read", _B, _TRM, 0, _VAR),
    _t(0xDF8113, "DRDOL Related Data", _B, _TRM, 1, _VAR),
    _t(0xDF8114, "Reference Control Parameter", _B, _TRM, 1, 1),
    _t(0xDF8115, "Error Indication", _B, _TRM, 6, 6),
    _t(0xDF8116, "User Interface Request Data", _B, _TRM, 22, 22),
    _t(0xDF8117, "Card Data Input Capability", _B, _TRM, 1, 1),
    _t(0xDF8118, "CVM Capability - CVM Required", _B, _TRM, 1, 1),
    _t(0xDF8119, "CVM Capability - No CVM Required", _B, _TRM, 1, 1),
    _t(0xDF811A, "Default UDOL", _B, _TRM, 3, _VAR),
    _t(0xDF811B, "Kernel Configuration", _B, _TRM, 1, 1),
    _t(0xDF811C, "Max Lifetime of Torn Transaction Log Record", _B, _TRM, 2, 2),
    _t(0xDF811D, "Max Number of Torn Transaction Log Records", _B, _TRM, 1, 1),
    _t(0xDF811E, "Mag-stripe CVM Capability - CVM Required", _B, _TRM, 1, 1),
    _t(0xDF811F, "Security Capability", _B, _TRM, 1, 1),
    _t(0xDF8120, "Terminal Action Code - Default", _B, _TRM, 5, 5),
    _t(0xDF8121, "Terminal Action Code - Denial", _B, _TRM, 5, 5),
    _t(0xDF8122, "Terminal Action Code - Online", _B, _TRM, 5, 5),
    _t(0xDF8123, "Reader Contactless Floor Limit", _N, _TRM, 6, 6),
    _t(0xDF8124, "Reader Contactless Transaction Limit (No On-device CVM)", _N, _TRM, 6, 6),
    _t(0xDF8125, "Reader Contactless Transaction Limit (On-device CVM)", _N, _TRM, 6, 6),
    _t(0xDF8126, "Reader CVM Required Limit", _N, _TRM, 6, 6),
    _t(0xDF8127, "Time Out Value", _B, _TRM, 2, 2),
    _t(0xDF8128, "IDS Status", _B, _TRM, 1, 1),
    _t(0xDF8129, "Outcome Parameter Set", _B, _TRM, 8, 8),
    _t(0xDF812A, "DD Card (Track1)", _ANS, _TRM, 1, 56, secret=True),
    _t(0xDF812B, "DD Card (Track2)", _B, _TRM, 1, 8, secret=True),
    _t(0xDF812C, "Mag-stripe CVM Capability - No CVM Required", _B, _TRM, 1, 1),
    _t(0xDF812D, "Message Hold Time", _N, _TRM, 3, 3),
    _t(0xDF8130, "Hold Time Value", _B, _TRM, 1, 1),
    _t(0xDF8131, "Phone Message Table", _B, _TRM, 1, _VAR),
    _t(0xDF8132, "Minimum Relay Resistance Grace Period", _B, _TRM, 2, 2),
    _t(0xDF8133, "Maximum Relay Resistance Grace Period", _B, _TRM, 2, 2),
    _t(0xDF8134, "Terminal Expected Transmission Time For Relay Resistance C-APDU", _B, _TRM, 2, 2),
    _t(0xDF8135, "Terminal Expected Transmission Time For Relay Resistance R-APDU", _B, _TRM, 2, 2),
    _t(0xDF8136, "Relay Resistance Accuracy Threshold", _B, _TRM, 2, 2),
    _t(0xDF8137, "Relay Resistance Transmission Time Mismatch Threshold", _B, _TRM, 1, 1),
    _t(0xFF8101, "Torn Record", _B, _TRM, 0, _KERNEL),
    _t(0xFF8102, "Tags To Write Before Gen AC", _B, _TRM, 0, _KERNEL),
    _t(0xFF8103, "Tags To Write After Gen AC", _B, _TRM, 0, _KERNEL),
    _t(0xFF8104, "Data To Send", _B, _TRM, 0, _KERNEL),
    _t(0xFF8105, "Data Record", _B, _TRM, 0, _KERNEL),
    _t(0xFF8106, "Discretionary Data", _B, _TRM, 0, _KERNEL),
)


def _index(entries: Iterable[TagInfo]) -> Mapping[int, TagInfo]:
    table: dict[int, TagInfo] = {}
    for entry in entries:
        if entry.tag in table:  # a table error, found at import: never overwrite silently
            raise ValueError(f"duplicate tag {entry.tag:02X} in the tag dictionary")
        table[entry.tag] = entry
    return MappingProxyType(table)


TAGS: Mapping[int, TagInfo] = _index(_ENTRIES)
"""Every known tag, keyed by its int value (``0x9F02``); read-only."""


def info(tag: int) -> TagInfo | None:
    """The dictionary entry of ``tag``, or None for a tag it does not know.

    >>> info(0x9F66).name
    'Terminal Transaction Qualifiers (TTQ)'
    >>> info(0x9F99) is None
    True
    """
    return TAGS.get(tag)


def name_of(tag: int) -> str:
    """The specification's name of ``tag``, or ``"unknown tag"``.

    >>> name_of(0x9F26), name_of(0xDF31), name_of(0xC1)
    ('Application Cryptogram', 'Issuer Script Results', 'unknown tag')
    """
    entry = TAGS.get(tag)
    return entry.name if entry is not None else "unknown tag"


def is_sensitive(tag: int) -> bool:
    """True when the value of ``tag`` holds a PAN, track data, a name, an ID number or PIN data.

    >>> is_sensitive(0x5A), is_sensitive(0x57), is_sensitive(0x9F02), is_sensitive(0xC1)
    (True, True, False, False)
    """
    entry = TAGS.get(tag)
    return entry is not None and entry.sensitive


def format_value(tag: int, value: bytes, reveal: bool = False) -> str:
    """Render the value of ``tag`` for a log line or a trace, masking sensitive data unless ``reveal``.

    ``n`` gives its digits, ``cn`` its digits without the ``F`` padding, ``an``/``ans`` ASCII text with
    other bytes escaped as ``\\xNN``, ``b`` and unknown primitive tags upper-case hex. A template is
    rendered as ``[TAG=value ...]`` with each child formatted (and masked) the same way. Unless ``reveal``
    is set, a PAN (``5A``) or track data (``57``, ``9F6B``, ``56``) keeps at most its first six and last
    four PAN digits, and other sensitive values become ``<N bytes hidden>``.

    Raises:
        Nothing: any bytes render; a malformed template is shown as hex only when ``reveal`` is set.

    >>> format_value(0x9F02, bytes.fromhex("000000000001"))
    '000000000001'
    >>> format_value(0x50, b"PBOC DEBIT"), format_value(0x82, bytes.fromhex("7c00"))
    ('PBOC DEBIT', '7C00')
    >>> format_value(0x57, bytes.fromhex("6224242900000113D28062013949031013"))
    '622424******0113D*****************'
    >>> format_value(0x5F20, b"ZHANG/SAN")
    '<9 bytes hidden>'
    >>> format_value(0x70, bytes.fromhex("5A0862242429000001135F2403280630"))
    '[5A=622424******0113 5F24=280630]'
    """
    value = bytes(value)
    entry = TAGS.get(tag)
    if entry is not None and entry.sensitive and not reveal:
        return _mask(tag, value)
    if is_constructed(tag):
        return _format_template(value, reveal)
    if entry is None:
        return value.hex().upper()
    return _RENDER[entry.fmt](value)


def _mask(tag: int, value: bytes) -> str:
    if tag == TAG_PAN:
        return mask_pan(value.hex().upper().rstrip("F"))
    if tag in (TAG_TRACK2_EQUIVALENT_DATA, TAG_TRACK2_DATA):
        return mask_track2(value.hex().upper())
    if tag == TAG_TRACK1_DATA:
        return mask_track1(_text(value))
    return f"<{len(value)} bytes hidden>"


def _format_template(value: bytes, reveal: bool) -> str:
    try:
        nodes = decode(value).top()
    except TlvError:  # its message holds an offset and a tag, never value bytes
        return value.hex().upper() if reveal else f"<{len(value)} bytes hidden>"
    parts = (f"{node.tag:02X}={format_value(node.tag, node.value, reveal)}" for node in nodes)
    return "[" + " ".join(parts) + "]"


def _text(value: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02X}" for b in value)


_RENDER: Mapping[Format, Callable[[bytes], str]] = MappingProxyType(
    {
        Format.N: lambda v: v.hex().upper(),
        Format.CN: lambda v: v.hex().upper().rstrip("F"),
        Format.AN: _text,
        Format.ANS: _text,
        Format.B: lambda v: v.hex().upper(),
    }
)
