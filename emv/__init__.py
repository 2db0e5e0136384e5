"""EMV data core and kernel: TLV, tag dictionary, DOLs (EMV 4.4 Books 1-4)."""
