"""The CRDT adapter: the only server package that imports pycrdt.

Why pycrdt and not y-py: y-py is archived, and it kills the whole process on some corrupted
updates; pycrdt (the maintained binding of the same Rust engine, Yrs) raises ValueError, or
``pyo3_runtime.PanicException`` (a ``BaseException``) on some inputs. Every update from the
network passes through :meth:`replica.LiveText.apply`, which turns either into
:class:`replica.InvalidUpdate`.

- ``lib0``: the varint and string encoding Yjs uses (pure Python, no engine).
- ``replica``: one document's replica, rebuilds, merges and compaction.
- ``protocol``: y-websocket messages, read and written.
- ``awareness``: presence payloads, read and written.
- ``anchors``: where Yjs relative positions (comment anchors) stand in the text now.
- ``replay``: replicas for the projections (text only, or with change deltas).
"""
