"""Storage: where events live (the database URL), how they are encoded (the transcoder), the
one seam between async code and the synchronous event store (``store.Store``), and the
factories of every stored view."""
