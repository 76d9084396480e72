"""A weak network link for tests and benchmarks: a loopback TCP proxy between a client (a
browser, a Python or Node client) and a server, applying a named profile of what a mobile
connection from Lomé does to a TCP stream. The kernel here has no ``netem``, so delay, jitter,
stalls and cuts are made in user space.

What it owns, per direction of each proxied connection: a token bucket (the bandwidth), then a
delay queue (the propagation delay, with jitter that never reorders), then the delivery, held
while the link is dead. The byte stream is kept whole and in order, as TCP keeps it.

- **Stalls** (1-3 s at random) are what a lost packet looks like to the applications above TCP:
  nothing arrives until the retransmission does, then everything held arrives at once.
- **Cuts** are the link going dead. What a real cut looks like depends on whether the phone
  notices, so there are two modes:

  - ``hold``: a silent dead link (a tunnel, a congested or broken cell, a stalled backhaul).
    Nothing is torn down: open connections stay open and nothing is delivered either way
    until the link returns, then the held bytes arrive in order. New connections are accepted
    (the proxy's kernel answers the handshake) but nothing reaches the server until the link
    returns. Neither side learns anything: only its own timeouts (y-websocket's 30 s rule, the
    browser's, the server's) can end a connection.
  - ``reset``: the phone lost its network (coverage gone, airplane mode, a new address when it
    comes back). The phone's side of every open connection is reset at once, and new
    connections are reset as soon as they are accepted. The server hears nothing until the link
    returns, and then a reset (the first packet it sends meets a carrier NAT that forgot the
    connection).

  A browser on a phone that lost its network also fires ``offline``; tests that want that too
  call Playwright's ``context.set_offline(True)`` beside ``cut("reset")``.

The random draws (the jitter's wander, the times and lengths of stalls and cuts) come from
generators seeded by ``seed`` and are functions of the time since the link started, whatever
the traffic, so a run can be replayed. ``time_scale`` compresses the schedule (not the
per-packet delay and bandwidth), so a test can go through an hour offline in a few seconds.

The package's rooms: ``profiles`` (the named profiles and their schedule), ``pipe`` (one
direction of one connection), ``proxy`` (the proxy, cuts, the thread runner) and
``__main__`` (the command line). ``Link`` runs on the caller's asyncio loop
(``async with Link(...)``); ``running_link(...)`` runs one on its own thread for synchronous
tests (Playwright's sync API). ``cut()`` and ``restore()`` switch the link by hand, on top of
its schedule. On a crash the proxy's sockets close with the process; nothing is stored.

    python -m tests.support.link --profile lome-3g --listen 127.0.0.1:0 --target 127.0.0.1:8000

prints ``link lome-3g listening on 127.0.0.1:PORT -> 127.0.0.1:8000``; ``SIGUSR1`` cuts the
link, ``SIGUSR2`` restores it.
"""

from tests.support.link.pipe import Jitter, TokenBucket
from tests.support.link.profiles import (
    KBIT,
    LOME_3G,
    MBIT,
    PROFILES,
    CutMode,
    Outage,
    Profile,
    Schedule,
    profile,
)
from tests.support.link.proxy import Link, LinkThread, running_link

__all__ = [
    "KBIT",
    "LOME_3G",
    "MBIT",
    "PROFILES",
    "CutMode",
    "Jitter",
    "Link",
    "LinkThread",
    "Outage",
    "Profile",
    "Schedule",
    "TokenBucket",
    "profile",
    "running_link",
]
