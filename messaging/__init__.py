"""Messenger-neutral message types, importable by every layer (adapters, handlers, storage, jobs)."""
