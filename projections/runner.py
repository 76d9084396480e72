"""The one catch-up loop of the pulled projections (approved versions, audit chain): move a
view forward over Palabre's notification log, a step at a time, up to the log's end as it is
when the catch-up starts.

Several processes (server instances, the command line) may catch the same view up at once.
Each step stores its rows and its position in one transaction; whoever loses a race gets an
IntegrityError, reads the position again and resumes after the winner. A conflict that moved
nothing is not a race and is raised. A step that cannot move the view (what it should read
was deleted meanwhile) ends the catch-up: verification reports such holes, a catch-up must
not spin on them.
"""

from __future__ import annotations

from collections.abc import Callable

from eventsourcing.persistence import IntegrityError


def catch_up(position: Callable[[], int], end: int, step: Callable[[int], int]) -> int:
    """Call ``step(position)`` until the view's ``position()`` reaches ``end``; each step
    handles what follows its position (and stores how far it got) and returns how many
    notifications it handled. Returns the total."""
    handled = 0
    while (reached := position()) < end:
        try:
            handled += step(reached)
        except IntegrityError:
            if position() == reached:
                raise
            continue
        if position() == reached:
            break
    return handled
