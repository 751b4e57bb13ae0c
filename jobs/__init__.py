"""Scheduled work that is not a conversation: follow-up reminders, apologies, escalations, survey reminders and
the daily digest. Jobs read storage and the message catalogue, and a small protocol of settings (`jobs.config`)."""
