"""The contactless kernel: the Entry Point of EMV Contactless Book B and the kernels it activates.

- :mod:`.limits`: pre-processing, the reader limits per combination and the TTQ (Book B 3.1);
- :mod:`.ppse`: SELECT PPSE, the directory entries and kernel selection (Book B 3.3);
- :mod:`.entry`: :class:`ContactlessKernel`, the Entry Point with the contact kernel's interface;
- :mod:`.qpboc`: the qPBOC / qVSDC kernel (JR/T 0025.12, Book C-3), with :mod:`.records` and :mod:`.fdda`;
- :mod:`.c2`: the Mastercard-like C-2 path (Book C-2), GENERATE AC with CDA;
- :mod:`.tap`: one tap's state, the card-removal moment, the CVM and :class:`ContactlessResult`.
"""

from __future__ import annotations

from emv.kernel.contactless.entry import ContactlessKernel
from emv.kernel.contactless.tap import ContactlessResult, Cvm

__all__ = ["ContactlessKernel", "ContactlessResult", "Cvm"]
