"""The edges and the composition root: settings, storage, HTTP and websocket endpoints, rooms."""
