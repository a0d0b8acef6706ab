"""A small round-robin TCP proxy on loopback, for tests that put replicas behind one
address (what any load balancer does at its simplest: each new connection goes to the
next backend in turn)."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from types import TracebackType


class RoundRobinProxy:
    """Listens on 127.0.0.1:`port` in a thread of its own; use as a context manager."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.port = 0
        self.connections: Counter[int] = Counter()  # per backend index
        self.refused = 0  # connections no backend took
        self._turn = itertools.cycle(range(len(backends)))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):  # idle keep-alive connections: cut them
            writer.transport.abort()
        # Let the handlers see their connections end (cancelling them instead makes
        # Python 3.11's stream callback log a CancelledError).
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=5)
            for task in stuck:
                task.cancel()

    async def _handle(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        index = next(self._turn)
        host, port = self.backends[index]
        try:
            backend_in, backend_out = await asyncio.open_connection(host, port)
        except OSError:
            self.refused += 1
            client_out.close()
            return
        self.connections[index] += 1
        self._open.update((client_out, backend_out))
        try:
            await asyncio.gather(_pipe(client_in, backend_out), _pipe(backend_in, client_out))
        finally:
            for writer in (backend_out, client_out):
                writer.close()
                self._open.discard(writer)


async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    """Copy bytes until the source closes, then close the target's sending side."""
    try:
        while data := await source.read(65536):
            target.write(data)
            await target.drain()
        if target.can_write_eof():
            target.write_eof()
    except OSError:
        target.close()
