"""What the running service shares: the clock, the event bus, and the runtime context."""
