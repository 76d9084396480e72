"""Coverage-guided fuzzing (hypothesis) of what reads network bytes: the y-websocket frame
parser, the awareness decoder and presence, and the update check. Inputs are arbitrary bytes
and real Yjs updates mutated byte by byte. The property: each either answers or refuses with
InvalidUpdate (a named refusal the endpoint turns into a close code); nothing else escapes,
and an update the check lets through never makes the engine panic or spin in a scratch
replica. ``hypothesis`` keeps the failing examples it finds in ``.hypothesis/``."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from palabre.server.crdt.awareness import decode_awareness
from palabre.server.crdt.check import check_update
from palabre.server.crdt.protocol import parse_message
from palabre.server.crdt.replica import InvalidUpdate, LiveText
from palabre.server.live.presence import Presence

from tests.support.edits import Writer

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _real_updates() -> list[bytes]:
    a, b = Writer(101), Writer(2**40 + 7)
    updates = [a.type("Akwaba à tous 😀 "), a.type("Lomé\n"), a.delete(2, 3)]
    b.receive(a.doc.get_update())
    updates += [b.type("# Titre\n", at=0), b.doc.get_update(), a.doc.get_update()]
    return updates


REAL = _real_updates()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real update with a few bytes changed, inserted or removed."""
    update = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(update)))
        action = draw(st.sampled_from(["set", "insert", "delete"]))
        if action == "insert" or not update:
            update.insert(at, draw(st.integers(0, 255)))
        elif action == "set":
            update[min(at, len(update) - 1)] = draw(st.integers(0, 255))
        else:
            del update[min(at, len(update) - 1)]
    return bytes(update)


updates = st.one_of(st.binary(max_size=200), mutated())


@FUZZ
@given(st.one_of(st.binary(max_size=300), updates.map(lambda u: b"\x00\x02" + u)))
def test_the_frame_parser_answers_or_refuses(frame: bytes) -> None:
    with contextlib.suppress(InvalidUpdate):
        parse_message(frame)


@FUZZ
@given(st.binary(max_size=300))
def test_awareness_is_decoded_or_refused_and_presence_holds(payload: bytes) -> None:
    with contextlib.suppress(InvalidUpdate):
        decode_awareness(payload)
    presence = Presence()
    with contextlib.suppress(InvalidUpdate):
        presence.apply("connection", payload, {"id": "x"}, 0.0)


@FUZZ
@given(updates)
def test_what_the_check_lets_through_the_engine_applies(update: bytes) -> None:
    try:
        check_update(update)
    except InvalidUpdate:
        return
    replica = LiveText()
    replica.apply_stored(REAL[:2])
    # A clean refusal by the engine is fine: the room closes that connection with 4400.
    with contextlib.suppress(InvalidUpdate):
        replica.apply(update)
    assert not replica.poisoned, "the engine panicked on an update the check let through"


def test_every_real_update_passes_the_check() -> None:
    for update in REAL:
        check_update(update)
