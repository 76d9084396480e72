"""Read models built from the event log (approved versions, history, comments, audit chain).

Each projection can be rebuilt from position zero with identical results."""
