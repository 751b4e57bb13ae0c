"""Lists of long texts kept compressed: a procedure's documents, steps and legal bases.

They are read only when a citizen opens a procedure's card, yet they are most of a knowledge base's memory
(about 13 MB of the 2,642 national records as Python strings). Packed, they take a fraction of that; a
card unpacks its few lists in microseconds.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

_SEPARATOR = "\x00"
_PACK_FROM = 160  # bytes; shorter lists stay plain (compression would not pay for its header)


class PackedTexts(Sequence[str]):
    """An immutable list of texts, compressed when it is long enough to gain from it."""

    __slots__ = ("_count", "_data")

    def __init__(self, items: Iterable[str] = ()) -> None:
        texts = tuple(items)
        self._count = len(texts)
        raw = _SEPARATOR.join(texts).encode("utf-8")
        self._data: bytes | tuple[str, ...] = zlib.compress(raw, 1) if len(raw) >= _PACK_FROM else texts

    def _texts(self) -> tuple[str, ...]:
        if isinstance(self._data, tuple):
            return self._data
        return tuple(zlib.decompress(self._data).decode("utf-8").split(_SEPARATOR))

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        texts = self._texts()
        return list(texts[index]) if isinstance(index, slice) else texts[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedTexts):
            return (self._count, self._data) == (other._count, other._data)
        if isinstance(other, list | tuple):
            return list(self._texts()) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._count, self._data))

    def __add__(self, other: Iterable[str]) -> list[str]:
        return [*self._texts(), *other]

    def __radd__(self, other: Iterable[str]) -> list[str]:
        return [*other, *self._texts()]

    def __repr__(self) -> str:
        return repr(list(self._texts()))

    def __getstate__(self) -> tuple[int, bytes | tuple[str, ...]]:
        return self._count, self._data

    def __setstate__(self, state: tuple[int, bytes | tuple[str, ...]]) -> None:
        self._count, self._data = state

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Validated as a list of strings (same errors), stored packed, written out as a list."""
        from_list = core_schema.no_info_after_validator_function(cls, handler.generate_schema(list[str]))
        return core_schema.no_info_before_validator_function(
            _unpacked, from_list, serialization=core_schema.plain_serializer_function_ser_schema(list))


def _unpacked(value: Any) -> Any:
    """A packed list as a plain one, for validation (anything else as it is)."""
    return list(value) if isinstance(value, PackedTexts) else value
