"""The link as a command:

    python -m tests.support.link --profile lome-3g --listen 127.0.0.1:0 --target 127.0.0.1:8000

prints ``link lome-3g listening on 127.0.0.1:PORT -> 127.0.0.1:8000``; ``SIGUSR1`` cuts the
link, ``SIGUSR2`` restores it; it runs until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace

from tests.support.link.profiles import PROFILES, profile
from tests.support.link.proxy import Link


def host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.link",
        description="A weak network link: a TCP proxy that delays, throttles, stalls and cuts. "
        "SIGUSR1 cuts the link, SIGUSR2 restores it.",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="lome-3g")
    parser.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    parser.add_argument("--target", type=host_port, required=True)
    parser.add_argument("--seed", default="0", help="seed of every random draw (default 0)")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="multiplies the stall and cut schedule"
    )
    parser.add_argument("--cut-mode", choices=["hold", "reset"], default=None)
    return parser


async def serve(arguments: argparse.Namespace) -> None:
    chosen = profile(arguments.profile, time_scale=arguments.time_scale)
    if arguments.cut_mode is not None:
        chosen = replace(chosen, cut_mode=arguments.cut_mode)
    link = Link(chosen, arguments.target, listen=arguments.listen, seed=arguments.seed)
    async with link:
        host, port = link.address
        target = "{}:{}".format(*arguments.target)
        print(f"link {chosen.name} listening on {host}:{port} -> {target}", flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, link.cut)
        loop.add_signal_handler(signal.SIGUSR2, link.restore)
        for stopping in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stopping, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(build_parser().parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
