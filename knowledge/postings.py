"""Compact storage of per-procedure terms: CSR arrays of index rows instead of Python sets and dicts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def index_type(count: int) -> type[np.integer]:
    """The smallest integer type for ids below `count` (half the memory of int32 when it fits)."""
    return np.uint16 if count <= np.iinfo(np.uint16).max + 1 else np.int32


def spans(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every entry of the given CSR rows, in order, and each row's length."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)  # row start minus its offset in the output
    return np.arange(len(shift), dtype=np.int64) + shift, lengths


class TermSet:
    """Membership among the index terms by row mask: no second copy of the term strings."""

    def __init__(self, rows: dict[str, int], mask: np.ndarray) -> None:
        self._rows = rows
        self._mask = mask.astype(np.uint8).tobytes()  # bytes index faster than an array

    def __contains__(self, term: object) -> bool:
        row = self._rows.get(term)  # type: ignore[call-overload]
        return row is not None and self._mask[row] == 1


class DocTerms(Sequence[frozenset[str]]):
    """The syllables (both forms) of each procedure, stored as rows of the index (CSR by procedure)."""

    def __init__(self, terms: list[str], indptr: np.ndarray, rows: np.ndarray) -> None:
        self._terms = terms
        self._indptr = indptr
        self._rows = rows

    def __len__(self) -> int:
        return len(self._indptr) - 1

    def __getitem__(self, doc: int) -> frozenset[str]:  # type: ignore[override]
        terms = self._terms
        return frozenset([terms[r] for r in self._rows[self._indptr[doc] : self._indptr[doc + 1]].tolist()])


class WeightedTerms:
    """Weighted terms of each procedure (e.g. its name's), stored once as arrays (CSR by procedure)."""

    def __init__(self, per_doc: Sequence[dict[str, float]]) -> None:
        self.ids: dict[str, int] = {}
        rows: list[int] = []
        values: list[float] = []
        sizes: list[int] = []
        for terms in per_doc:
            sizes.append(len(terms))
            for term, weight in terms.items():
                rows.append(self.ids.setdefault(term, len(self.ids)))
                values.append(weight)
        self.indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.indptr[1:])
        self.rows = np.array(rows, dtype=index_type(len(self.ids)))
        self.weights = np.array(values, dtype=np.float64)
        self.totals = np.bincount(np.repeat(np.arange(len(sizes)), sizes), self.weights, minlength=len(sizes))

    def shares(self, docs: np.ndarray, said: Iterable[str]) -> np.ndarray:
        """For each procedure, the weight of its terms that were said, as a share of all its weight."""
        out = np.zeros(len(docs))
        if not len(docs):
            return out
        mark = np.zeros(len(self.ids) + 1, dtype=bool)
        mark[[i for i in map(self.ids.get, said) if i is not None]] = True
        positions, lengths = spans(self.indptr, docs)
        owner = np.repeat(np.arange(len(docs)), lengths)
        found = np.bincount(owner, self.weights[positions] * mark[self.rows[positions]], minlength=len(docs))
        totals = self.totals[docs]
        np.divide(found, totals, out=out, where=totals > 0)
        return out
