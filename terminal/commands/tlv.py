"""``posemu tlv [--json] [--reveal] HEX|-``: decode BER-TLV and print it with tag names.

Values are shown by their format (EMV 4.4 Book 3 section 4.3, via :mod:`emv.tags`); sensitive values (PAN,
track data, cardholder name, PIN data) are masked unless ``--reveal``. Malformed input exits 2 with the
offset, tag and reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data", metavar="HEX|-", help="hex digits (spaces allowed), or - to read them from stdin"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON tree")
    parser.add_argument("--reveal", action="store_true", help="show sensitive values in clear")


def read_hex(arg: str) -> bytes:
    """The bytes of a hex argument, or of stdin for ``-``.

    Raises:
        TlvError: not hex digits (offset = the first bad character, counting hex digits only).
    """
    from emv.errors import TlvError

    text = sys.stdin.read() if arg == "-" else arg
    digits = "".join(text.split())
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    for pos, ch in enumerate(digits):
        if ch not in "0123456789abcdefABCDEF":
            raise TlvError("not a hex digit", pos // 2)
    if len(digits) % 2:
        raise TlvError("odd number of hex digits", len(digits) // 2)
    return bytes.fromhex(digits)


def render_text(data: bytes, reveal: bool) -> list[str]:
    """Lines of an indented tree: tag, name, formatted value."""
    from emv import tags, tlv

    lines: list[str] = []

    def walk(nodes: list[tlv.TlvNode], depth: int) -> None:
        for node in nodes:
            name = tags.name_of(node.tag)
            head = f"{'  ' * depth}{node.tag:02X}  {name}"
            if node.constructed:
                lines.append(head)
                walk(node.children(), depth + 1)
            else:
                value = tags.format_value(node.tag, node.value, reveal=reveal)
                lines.append(f"{head}  [{len(node.value)}]  {value}")

    walk(tlv.decode(data).top(), 0)
    return lines


def render_json(data: bytes, reveal: bool) -> list[dict[str, Any]]:
    """The tree as JSON-ready dicts: tag (hex), name, and value (+ hex when shown) or children."""
    from emv import tags, tlv

    def node_json(node: tlv.TlvNode) -> dict[str, Any]:
        out: dict[str, Any] = {"tag": f"{node.tag:02X}", "name": tags.name_of(node.tag)}
        if node.constructed:
            out["children"] = [node_json(c) for c in node.children()]
        else:
            out["length"] = len(node.value)
            out["value"] = tags.format_value(node.tag, node.value, reveal=reveal)
            if reveal or not tags.is_sensitive(node.tag):
                out["hex"] = node.value.hex().upper()
        return out

    return [node_json(n) for n in tlv.decode(data).top()]


def run(args: argparse.Namespace) -> int:
    data = read_hex(args.data)
    if args.json:
        print(json.dumps(render_json(data, args.reveal), ensure_ascii=False, indent=2))
    else:
        print("\n".join(render_text(data, args.reveal)))
    return 0
