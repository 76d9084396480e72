"""The document's live channel: subscriptions (``hub``) and what feeds them from the stored
events (``relay``), for every change, whoever made it (HTTP, command line, another instance)."""
