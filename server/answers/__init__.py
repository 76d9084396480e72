"""JSON answers built from the application's reads, shared by the HTTP handlers and the live
channel (``channel/relay.py``), so an event pushed live and the answer to a request have the
same shape."""
