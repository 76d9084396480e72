"""Real components for the tests: a private PostgreSQL cluster, a server process on port 0."""
