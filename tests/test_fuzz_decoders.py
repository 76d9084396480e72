"""Coverage-guided fuzzing (hypothesis) of what reads network bytes: the y-websocket frame
parser, the awareness decoder and presence, and the update check. Inputs are arbitrary bytes,
real Yjs updates mutated byte by byte, and updates built field by field in the shape of a
keystroke (ids and clocks at the edges of their ranges, other contents, roots and parents).
The properties: each reader either answers or refuses with InvalidUpdate (a named refusal
the endpoint turns into a close code), nothing else escapes; an update the check lets
through never makes the engine panic or spin in a scratch replica; the check's keystroke
reader either leaves an update to the full reader or reads it exactly as the full reader
does. ``hypothesis`` keeps the failing examples it finds in ``.hypothesis/``."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from palabre.server.crdt.awareness import decode_awareness
from palabre.server.crdt.check import check_in_full, check_update, read_keystroke
from palabre.server.crdt.lib0 import write_var_string, write_var_uint
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


EDGES = [0, 1, 101, 2**31, 2**32 - 1, 2**49 - 1, 2**49, 2**53 - 1, 2**53, 2**56, 2**63]


@st.composite
def varuint(draw: st.DrawFn) -> bytes:
    """A varuint at the edges of the ranges the check enforces, sometimes padded."""
    value = draw(
        st.sampled_from(EDGES) | st.integers(0, 200) | st.integers(1, 2**32) | st.integers(1, 2**53)
    )
    encoded = write_var_uint(value)
    padding = draw(st.sampled_from([0] * 8 + [1, 3]))
    if padding:  # the same value, in more bytes
        encoded = encoded[:-1] + bytes([encoded[-1] | 0x80]) + b"\x80" * (padding - 1) + b"\x00"
    return encoded


@st.composite
def keystroke_like(draw: st.DrawFn) -> bytes:
    """One item under one client id, most often a string in body, then a delete set."""
    info = draw(
        st.sampled_from([0x84, 0xC4, 0x44, 0x04] * 3 + [0x24, 0x81, 0x82, 0x85, 0x86, 0x89])
    )
    item = bytes([info])
    for flag in (0x80, 0x40):
        if info & flag:
            item += draw(varuint()) + draw(varuint())
    if not info & 0xC0:
        item += draw(
            st.sampled_from(
                [b"\x01" + write_var_string(n) for n in ("body", "body", "titre")]
                + [b"\x00" + write_var_uint(7) + b"\x00"]
            )
        )
    strings = st.text(min_size=1, max_size=20).map(str.encode)
    text = draw(st.one_of(strings, strings, strings, st.binary(max_size=20)))
    size = max(0, len(text) + draw(st.sampled_from([0] * 8 + [-1, 1])))
    deletes = write_var_uint(clients := draw(st.sampled_from([0, 0, 1, 1, 2, 4, 5])))
    for _ in range(clients):
        deletes += draw(varuint()) + write_var_uint(
            ranges := draw(st.sampled_from([0, 1, 1, 2, 8, 9]))
        )
        for _ in range(ranges):
            deletes += draw(varuint()) + draw(varuint())
    header = draw(st.sampled_from([b"\x01\x01"] * 3 + [b"\x01\x02", b"\x00"]))
    body = draw(varuint()) + draw(varuint()) + item + write_var_uint(size) + text
    update = header + (b"" if header == b"\x00" else body) + deletes
    return update + draw(st.sampled_from([b""] * 8 + [b"\x00"]))


@FUZZ
@given(st.one_of(keystroke_like(), updates))
def test_the_keystroke_reader_reads_as_the_full_reader_or_not_at_all(update: bytes) -> None:
    shape = read_keystroke(update)
    if shape is not None:
        assert check_in_full(update) == shape
