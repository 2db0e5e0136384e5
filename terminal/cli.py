"""The ``posemu`` command line (ARCHITECTURE.md section 6).

Each subcommand lives in its own module under ``terminal/commands`` and is imported only when it runs, so
``posemu --help`` and light tools start fast. Errors map to exit codes in one table, :data:`EXIT_CODES`:
an exception never stores its own code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from config.errors import ConfigError, PosError
from emv.errors import EmvError, TlvError
from host.errors import Iso8583Error

log = logging.getLogger(__name__)

# Most specific first: the first class the error is an instance of gives the exit code.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (TlvError, 2),  # malformed input data: the message says where
    (Iso8583Error, 2),
    (EmvError, 2),
    (ConfigError, 3),
    (PosError, 1),
)

# subcommand -> (module under terminal.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "boot the terminal on virtual devices and the built-in host; play the demo"),
    "tlv": ("tlv", "decode BER-TLV with tag names; sensitive values masked"),
    "qr": ("qr", "EMVCo merchant QR: decode with the CRC checked, encode (optionally to PNG)"),
    "iso8583": ("iso8583", "decode a framed CUP ISO 8583 message; PAN and track masked"),
    "devices": ("devices", "list attached devices, or --check URL opens one"),
    "card": ("card", "card read --reader URL: a card's public data, PAN masked"),
    "emv": ("emv", "run the EMV kernel against a virtual card"),
    "scenario": ("scenario", "run a scripted terminal scenario headless; exit 0 only if it passed"),
    "host": ("host", "run the acquirer host simulator (ISO 8583 over TCP, SQLite store)"),
}


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an error raised by a command."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posemu", description="POS payment terminal emulator")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(f"terminal.commands.{module}").add_arguments(cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``posemu`` console script."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        from emv.redact import install_log_redaction

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        install_log_redaction()
    module = importlib.import_module(f"terminal.commands.{COMMANDS[args.command][0]}")
    try:
        code: int = module.run(args)
    except PosError as exc:
        print(f"posemu {args.command}: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
