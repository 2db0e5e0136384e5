"""The EMV contact kernel: one module per EMV 4.4 Book 3 step, run by `emv.kernel.kernel.ContactKernel`."""
