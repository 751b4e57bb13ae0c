"""The message catalogues: the same messages and placeholders in every language."""

from __future__ import annotations

import string

import pytest

from handlers.i18n import LANGUAGES, catalogue, translate


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_message_ids() -> None:
    ids = [set(catalogue(lang)) for lang in LANGUAGES]
    assert all(i == ids[0] for i in ids)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "vi"])
def test_translations_keep_every_placeholder(lang: str) -> None:
    vi = catalogue("vi")
    other = catalogue(lang)
    assert {k: _fields(v) for k, v in other.items()} == {k: _fields(vi[k]) for k in other}


def test_unknown_language_falls_back_to_vietnamese() -> None:
    assert translate("fr", "btn.cancel") == translate("vi", "btn.cancel")


def test_unknown_message_id_is_an_error() -> None:
    with pytest.raises(KeyError):
        translate("vi", "no.such.message")


def test_telegram_limits_button_data_of_the_feedback_flow_to_64_bytes(core_kb) -> None:
    from handlers.categories import categories

    data = [f"fb:cat:{c.id}" for c in categories()] + [f"fb:ag:{a.id}" for a in core_kb.agencies]
    assert all(len(d.encode()) <= 64 for d in data)
