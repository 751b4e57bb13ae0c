"""Normalization of Vietnamese text."""

import unicodedata

from knowledge.normalize import fold, normalize, strip_diacritics


def test_normalize_lowercases_and_replaces_punctuation():
    assert normalize("  Đăng KÝ, khai-sinh?! ") == "đăng ký khai sinh"


def test_normalize_joins_decomposed_marks_into_one_form():
    decomposed = unicodedata.normalize("NFD", "Căn cước")
    assert normalize(decomposed) == "căn cước"


def test_strip_diacritics_turns_d_with_stroke_into_d():
    assert strip_diacritics("Đăng ký đất đai") == "Dang ky dat dai"


def test_fold_gives_the_same_form_with_and_without_marks():
    assert fold("Giấy xác nhận độc thân") == fold("giay xac nhan doc than")


def test_a_whole_message_loses_its_marks_as_each_of_its_words_does():
    message = "Tôi muốn hỏi thủ tục đăng ký khai sinh cho con ở phường Thanh Xuân cần những giấy tờ gì ạ"
    assert len(message) > 64
    for _ in range(2):  # the second time from the memo of recent messages
        assert strip_diacritics(message) == " ".join(strip_diacritics(w) for w in message.split())
