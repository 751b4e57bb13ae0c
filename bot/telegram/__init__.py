"""Telegram adapters: aiogram 3 and python-telegram-bot 22 runtimes over the same neutral handlers."""
