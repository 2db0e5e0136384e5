"""``posemu host [--db FILE] [--port N] [--host ADDR] [--config FILE]``: the acquirer host simulator.

Runs :class:`host.simulator.Simulator` (CUP POS ISO 8583 over TCP, DOMAIN_FACTS section A) until
interrupted. A new database (or the default in-memory one) is seeded from ``config/defaults/host.toml``
or ``--config`` and the virtual card profiles. ``--pay-order REF`` is a client instead: it asks a running
simulator (on ``--host``/``--port``) to have a wallet pay the merchant-presented order ``REF``, and
exits 0 when the order is paid.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="FILE", help="SQLite store (default: in memory, seeded each run)")
    parser.add_argument("--port", type=int, help="TCP port (default from the config: 5000; 0 picks one)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--config", metavar="FILE", help="seed and settings TOML (default: host.toml)")
    parser.add_argument("--pay-order", metavar="REF", help="have a wallet pay order REF on a running host")
    parser.add_argument("--commit-thread", action="store_true", help="commit on a thread (for a slow disk)")


def _pay_order(args: argparse.Namespace, host: str, port: int) -> int:
    from drivers.host import LinkSettings, TcpHostLink
    from host.requests import admin_pay_order

    link = TcpHostLink(host, port, LinkSettings(connect_timeout_s=5.0, response_timeout_s=10.0, retries=1))
    try:
        reply = link.transact(admin_pay_order(args.pay_order))
    finally:
        link.close()
    code = str(reply.get(39))
    print(f"order {args.pay_order}: response {code}")
    return 0 if code == "00" else 1


def run(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from host.seed import ServerSettings, load_host_config
    from host.simulator import Simulator, tune_process

    config = load_host_config(args.config)
    settings = ServerSettings.from_config(config)
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    if args.pay_order:
        return _pay_order(args, host, port)
    sim = Simulator.open(args.db or ":memory:", config, commit_thread=args.commit_thread, gc_freeze_s=1.0)
    tune_process()

    async def serve() -> None:
        bound = await sim.start(host, port)
        print(f"posemu host listening on {host}:{bound} (store {args.db or 'in memory'})", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await sim.stop()

    try:
        asyncio.run(serve())
    finally:
        sim.store.close()
    return 0
