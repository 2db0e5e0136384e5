"""The host simulator on a background thread: its own event loop, a TCP port or attached sockets, and
calls into it from other threads (the in-process ``virtual://host`` link, tests, the load generator).

>>> with SimulatorThread() as host:
...     host.call(lambda sim: len(sim.store.terminals)) >= 1
True
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from host.simulator import Simulator

__all__ = ["SimulatorThread"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class SimulatorThread:
    """A :class:`host.simulator.Simulator` running on its own thread and loop.

    ``listen`` opens a TCP port on 127.0.0.1 (``port`` 0 picks a free one, read it from :attr:`port`);
    without it, terminals reach the simulator through :meth:`connect` only.
    """

    def __init__(
        self,
        db: str | Path = ":memory:",
        config: dict[str, Any] | None = None,
        *,
        listen: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        **simulator_kw: Any,
    ) -> None:
        self._db, self._config, self._kw = db, config, simulator_kw
        self._listen, self._host, self._port = listen, host, port
        self.port: int | None = None
        self.sim: Simulator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    def start(self, timeout_s: float = 10.0) -> SimulatorThread:
        """Open the store and start the loop (and the listener); returns self.

        Raises:
            StoreError, ConfigError: the store or configuration did not open.
            TimeoutError: the loop did not start within ``timeout_s``.
        """
        self.sim = Simulator.open(self._db, self._config, **self._kw)
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="posemu-host", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise TimeoutError("host simulator loop did not start")
        if self._listen:
            self.port = self.run(self.sim.start(self._host, self._port), timeout_s)
        return self

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()
        loop.close()

    def run(self, coro: Any, timeout_s: float = 10.0) -> Any:
        """Run a coroutine on the simulator's loop and return its result.

        Raises:
            TimeoutError: no result within ``timeout_s``. RuntimeError: the simulator is not running.
        """
        if self._loop is None or not self._loop.is_running():
            coro.close()
            raise RuntimeError("host simulator is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)

    def call(self, fn: Callable[[Simulator], T], timeout_s: float = 10.0) -> T:
        """Call ``fn(simulator)`` on the loop, wait until its changes are committed, return its result.

        Raises:
            TimeoutError: no result within ``timeout_s``. Whatever ``fn`` raises.
        """
        sim = self.sim
        if sim is None:
            raise RuntimeError("host simulator is not running")

        async def _call() -> T:
            result = fn(sim)
            await sim.store.durable()
            return result

        result: T = self.run(_call(), timeout_s)
        return result

    def connect(self) -> socket.socket:
        """A connected socket to the simulator, without TCP (a socket pair; the other end is served)."""
        sim = self.sim
        if sim is None:
            raise RuntimeError("host simulator is not running")
        ours, theirs = socket.socketpair()
        try:
            self.run(sim.attach(theirs))
        except BaseException:
            ours.close()
            theirs.close()
            raise
        return ours

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving, commit, close the store and end the thread (safe to call twice)."""
        loop, sim = self._loop, self.sim
        if loop is None or sim is None:
            return
        try:
            if loop.is_running():
                self.run(sim.stop(), timeout_s)
        finally:
            if loop.is_running():
                loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout_s)
            sim.store.close()
            self._loop = None
            self.sim = None
