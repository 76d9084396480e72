"""``palabre serve``: open the services, run the app under uvicorn until SIGTERM or Ctrl-C.

Either signal ends the same way: ``/readyz`` starts answering 503 (a proxy stops sending new
clients), event streams end, every live connection is closed with 1001 "going away" (before
uvicorn's own shutdown would close them with 1012) so stock clients reconnect, through the
proxy, to another instance; every room stores what it received, the services close, and the
process exits 0 with "palabre stopped" on its log and no traceback. A second Ctrl-C stops
waiting for open connections; rooms still store what they hold. SIGKILL or a crash loses only
what no room had stored yet (at most one batch window), as any crash does. Logs are
configured by ``server/logs.py`` (JSON when not on a terminal; tokens never written).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import signal
from collections.abc import Iterator
from typing import Any, cast

import uvicorn
from palabre.server import logs
from palabre.server.app import create_app
from palabre.server.bootstrap import Services, open_services
from palabre.server.cli.parsers import Commands
from palabre.server.live.transport import LiveProtocol, TransportOptions
from palabre.server.settings import Settings


def add_parsers(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the HTTP and websocket service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")


def serve(settings: Settings, host: str, port: int) -> int:
    logs.configure(settings.log_level, settings.log_format)
    with open_services(settings) as services:
        app = create_app(services)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=settings.log_level,
            # Palabre's own websocket transport (server/live/transport.py): broadcasts framed
            # once, compression decided per message.
            ws=cast(Any, functools.partial(LiveProtocol, options=transport_options(settings))),
            # A little above our own limit, so that our named 4413 close is what clients see.
            ws_max_size=settings.max_message_bytes + 4096,
            ws_ping_interval=20,
            ws_ping_timeout=20,
            timeout_graceful_shutdown=30,
            lifespan="on",
            log_config=None,  # logs.configure set the handlers
        )
        # Everything made so far (modules, the app, the services) lives as long as the
        # process: out of the collector's sight, a full collection scans only what came
        # after. Under a stream of short hostile connections full collections came every
        # 18 s or so and each scanned it all: 100 ms on average, up to 350 ms, with every
        # document waiting (the README's "Robustness").
        gc.freeze()
        _Server(config, services).run()
    return 0


def transport_options(settings: Settings) -> TransportOptions:
    return TransportOptions(settings.compression, settings.compress_min_bytes)


class _Server(uvicorn.Server):
    """uvicorn's server, announcing the bound address (useful with --port 0). At shutdown it
    first says it is draining (``/readyz``), ends the event streams (they never finish by
    themselves, and uvicorn would wait its whole graceful timeout for them), and closes every
    live connection with 1001; the lifespan's end then stores every pending batch."""

    def __init__(self, config: uvicorn.Config, services: Services) -> None:
        super().__init__(config)
        self._services = services

    async def shutdown(self, sockets: Any = None) -> None:
        self._services.draining.set()
        self._services.hub.close()
        await self._services.rooms.going_away()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn's own, less its last step: once shut down, uvicorn raises the signal again,
        so that SIGTERM kills the process before the services close (status -15) and Ctrl-C
        ends in a KeyboardInterrupt traceback (status 130). Here either is the normal end."""
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {number: signal.signal(number, self.handle_exit) for number in stops}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                print(f"palabre listening on http://{host}:{port}", flush=True)
