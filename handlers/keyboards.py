"""Keyboards used by several conversations."""

from __future__ import annotations

from collections.abc import Callable

from messaging.types import Button

Rows = tuple[tuple[Button, ...], ...]


def main_menu(t: Callable[..., str]) -> Rows:
    """The citizen's main menu."""
    return (
        (Button(t("btn.feedback"), "m:feedback"),),
        (Button(t("btn.procedures"), "m:procedures"),),
        (Button(t("btn.mine"), "m:mine"),),
        (Button(t("btn.contact"), "m:contact"),),
        (Button(t("btn.language"), "m:lang"),),
    )


def cancel_row(t: Callable[..., str]) -> tuple[Button, ...]:
    """A row with the cancel button."""
    return (Button(t("btn.cancel"), "cancel"),)


def menu_row(t: Callable[..., str]) -> tuple[Button, ...]:
    """A row with the back-to-menu button."""
    return (Button(t("btn.menu"), "m:menu"),)


def consent_buttons(t: Callable[..., str], then: str = "menu") -> Rows:
    """Agree / do not agree; `then` says where to go after agreeing (`menu` or `fb`)."""
    return ((Button(t("btn.consent_yes"), f"consent:yes:{then}"), Button(t("btn.consent_no"), "consent:no")),)
