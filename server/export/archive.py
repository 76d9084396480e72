"""Zip containers (DOCX, ODT) made byte-for-byte reproducible.

The libraries stamp each zip entry with the current time; here every entry is rewritten with
one fixed time (the export's generation time), in a fixed order: ``mimetype`` first and
stored uncompressed (the ODF rule), ``[Content_Types].xml`` next (what Office reads first),
then every other entry by name."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

FIRST = ("mimetype", "[Content_Types].xml")
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can hold


def normalised_zip(data: bytes, when: datetime) -> bytes:
    stamp = max(when.astimezone(UTC), ZIP_EPOCH).timetuple()[:6]
    source = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(source.namelist(), key=lambda n: (FIRST.index(n) if n in FIRST else 2, n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in names:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(name), compresslevel=6)
    return out.getvalue()
