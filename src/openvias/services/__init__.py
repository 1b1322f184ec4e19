"""Business logic: takes a session, flushes, never commits, raises OpenViasError."""
