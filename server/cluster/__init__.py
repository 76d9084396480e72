"""Several instances on one PostgreSQL database: wake-ups through LISTEN/NOTIFY, the log as
the source."""
