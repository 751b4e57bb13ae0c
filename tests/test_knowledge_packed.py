"""Procedure details kept compressed read back exactly as written."""

import pickle

from knowledge.models import Procedure
from knowledge.packed import PackedTexts

LONG = [f"Bản sao giấy khai sinh của người thứ {i} (có chứng thực hoặc kèm bản chính để đối chiếu)" for i in range(12)]


def test_long_list_reads_back_item_by_item_and_in_slices():
    packed = PackedTexts(LONG)
    assert list(packed) == LONG and len(packed) == 12
    assert packed[3] == LONG[3] and packed[-1] == LONG[-1] and packed[:2] == LONG[:2]


def test_long_list_takes_less_memory_than_its_texts():
    packed = PackedTexts(LONG)
    assert len(packed._data) < sum(len(t.encode()) for t in LONG) / 2


def test_packed_list_equals_the_plain_list_and_concatenates_like_one():
    packed = PackedTexts(LONG)
    assert packed == LONG and packed == PackedTexts(LONG) and hash(packed) == hash(PackedTexts(LONG))
    assert ["a"] + packed == ["a", *LONG] and packed + ["b"] == [*LONG, "b"]


def test_empty_and_short_lists_stay_as_they_are():
    assert list(PackedTexts()) == [] and list(PackedTexts(["CCCD"])) == ["CCCD"]


def test_procedure_documents_are_stripped_packed_and_written_out_as_a_list():
    proc = Procedure(id="1.0", name="Đăng ký khai sinh", documents=["  Tờ khai  ", *LONG])
    assert isinstance(proc.documents, PackedTexts)
    assert proc.model_dump()["documents"] == ["Tờ khai", *LONG]
    assert pickle.loads(pickle.dumps(proc)).documents == ["Tờ khai", *LONG]
