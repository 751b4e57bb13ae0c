"""Runtime: configuration, messenger adapters, console chat, scheduler."""
