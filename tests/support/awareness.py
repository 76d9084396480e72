"""Reading awareness frames in tests, with pycrdt's own decoder."""

from __future__ import annotations

from pycrdt import Decoder


def decode_awareness_frame(frame: bytes) -> list[tuple[int, str]]:
    payload = Decoder(frame[1:]).read_message()
    assert payload is not None
    decoder = Decoder(payload)
    entries = []
    for _ in range(decoder.read_var_uint()):
        client_id = decoder.read_var_uint()
        decoder.read_var_uint()  # clock
        entries.append((client_id, decoder.read_var_string()))
    return entries
