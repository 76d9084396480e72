"""The language of the committee: aggregates, their events, and the rules that guard them.

Imports only the standard library and ``eventsourcing``; it knows nothing of the web, the CRDT
engine or the storage engine.
"""
