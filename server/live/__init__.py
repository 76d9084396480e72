"""Live editing: the websocket endpoint (``endpoint``), each session (``connection``, over the
small ``peer`` transport), a document's room (``room``: fan-out and presence), what persists
its contributions (``batcher``), the registry of loaded rooms (``rooms``) and the named close
codes (``close_codes``)."""
