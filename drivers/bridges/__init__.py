"""Bridges that put virtual devices behind the real stacks, for tests and HIL rigs (ARCHITECTURE.md 3).

| bridge                 | serves                       | the real driver that reads it                 |
|------------------------|------------------------------|-----------------------------------------------|
| ``vpcd.VpcdBridge``    | a virtual card to pcscd      | ``pcsc://?name=posemu vpcd``                  |
| ``pcscd.PcscdProcess`` | a pcscd with vpcd slots      | (runs the daemon the vpcd bridge talks to)    |
| ``nfcudp.UdpCardBridge``| an ISO-DEP card on nfcpy udp | ``nfc://udp:127.0.0.1:PORT``                 |
| ``pty.PtyBridge``      | swipes / scans into a pty    | ``msr:///dev/pts/N``, ``scanner:///dev/pts/N``|
| ``printer.PrinterServer`` | a 9100-style TCP printer  | ``escpos+tcp://127.0.0.1:PORT``               |

Every bridge listens or connects on 127.0.0.1 only, runs one daemon thread, and stops within a bounded
time on ``stop()``.
"""
