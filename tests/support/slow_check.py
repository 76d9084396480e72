"""A deliberately slow update check, importable by the check's worker processes: it spins
for a minute on any update that holds the marker text, and checks the rest normally."""

from __future__ import annotations

import time

from palabre.server.crdt.check import Shape, check_update

MARKER = b"SLOW-CHECK"


def slow_check(update: bytes) -> Shape:
    if MARKER in update:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # busy, like an engine stuck in a loop
            pass
    return check_update(update)
