"""Conversations: citizen flows and staff commands, independent of any messenger."""
