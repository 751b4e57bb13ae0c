"""A small BM25 index over procedure fields, on syllables and syllable pairs, marked and folded."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.models import Procedure
from knowledge.normalize import fold_word, normalize
from knowledge.postings import DocTerms, TermSet, index_type, spans
from knowledge.query import spelled_out
from knowledge.weights import weight

# Field name -> weight (`field.<name>` in the weights table). Multi-valued fields score as the best of their values.
FIELD_WEIGHTS: dict[str, float] = {name: weight(f"field.{name}") for name in ("name", "keywords", "phrasings",
                                                                                 "domain", "result")}
K1 = weight("bm25.k1")
B = weight("bm25.b")
MARKED = "~"  # prefix of terms that keep their diacritics
PAIR = "_"  # joins the two syllables of a pair term


def field_values(proc: Procedure, field: str) -> list[str]:
    """The texts of one field of a procedure, as indexed."""
    if field == "name":
        return [v for v in (proc.name, proc.name_en) if v]
    if field == "keywords":
        return list(proc.keywords)
    if field == "phrasings":
        return list(proc.phrasings)
    if field == "domain":
        return [proc.domain] if proc.domain else []
    if field == "result":
        return [proc.result[:200]] if proc.result else []
    raise KeyError(field)


def terms_of(words: Sequence[str], marked: bool) -> list[str]:
    """Index terms of a syllable sequence: folded syllables and pairs, plus marked ones if asked."""
    folded = [fold_word(w) for w in words]
    terms = folded + [a + PAIR + b for a, b in zip(folded, folded[1:], strict=False)]
    if marked:
        terms += [MARKED + w for w in words]
        terms += [MARKED + a + PAIR + b for a, b in zip(words, words[1:], strict=False)]
    return terms


@dataclass
class _Field:
    """Postings of one field in CSR form: term -> row of (unit, BM25 weight); a unit is one value."""

    rows: dict[str, int]
    indptr: np.ndarray
    units: np.ndarray
    weights: np.ndarray
    n_units: int
    starts: np.ndarray  # first unit of each procedure that has units
    docs: np.ndarray  # those procedures


class FieldIndex:
    """BM25 per field over a list of procedures."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        self.size = len(procedures)
        self._pair_terms: set[str] = set()  # pairs (folded and marked) from names, keywords and domains
        self._doc_sets: list[set[str]] = [set() for _ in procedures]  # syllables per procedure, both forms
        fields = {name: self._build(procedures, name) for name in FIELD_WEIGHTS}
        self.vocabulary: Counter[str] = Counter()  # folded syllable -> procedures containing it
        for terms in self._doc_sets:
            self.vocabulary.update(t for t in terms if t[0] != MARKED)
        self._merge(fields)
        self._compact()
        self._split_single_values()
        rarity = {term: math.log(1 + (self.size - df + 0.5) / (df + 0.5)) for term, df in self.vocabulary.items()}
        self._idf, self._idf_unknown = rarity, math.log(1 + (self.size + 0.5) / 0.5)

    def _compact(self) -> None:
        """Keep per-procedure syllables and known pairs as index rows instead of sets of strings."""
        terms = list(self.rows)
        mask = np.zeros(len(terms), dtype=bool)
        mask[[self.rows[t] for t in self._pair_terms]] = True
        self.pairs = TermSet(self.rows, mask)
        sizes = [len(s) for s in self._doc_sets]
        indptr = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        flat = [self.rows[t] for s in self._doc_sets for t in sorted(s)]
        self.doc_terms = DocTerms(terms, indptr, np.array(flat, dtype=index_type(len(terms))))
        del self._pair_terms, self._doc_sets

    def _merge(self, fields: dict[str, _Field]) -> None:
        """One posting list over every field's units (weights include the field weight) for fast scoring."""
        parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        starts, docs = [], []
        offset = 0
        for name, fld in fields.items():
            field_weight = FIELD_WEIGHTS[name]
            for term, row in fld.rows.items():
                lo, hi = fld.indptr[row], fld.indptr[row + 1]
                parts[term].append((fld.units[lo:hi] + offset, fld.weights[lo:hi] * field_weight))
            starts.append(fld.starts + offset)
            docs.append(fld.docs)
            offset += fld.n_units
        self.rows: dict[str, int] = {term: row for row, term in enumerate(parts)}
        sizes = [sum(len(u) for u, _ in plist) for plist in parts.values()]
        self.indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.indptr[1:])
        flat = [pair for plist in parts.values() for pair in plist]
        unit_type = index_type(offset)
        self.units = np.concatenate([u for u, _ in flat]).astype(unit_type) if flat else np.zeros(0, unit_type)
        self.weights = np.concatenate([w for _, w in flat]).astype(np.float32) if flat else np.zeros(0, np.float32)
        self.n_units = offset
        self.starts = np.concatenate(starts).astype(np.int64)
        self.segment_docs = np.concatenate(docs).astype(np.int64)

    def _split_single_values(self) -> None:
        """Sum the postings of fields a procedure has one value of into postings by procedure.

        The best value of a one-valued field is that value, so such postings need no maximum at query
        time: they are summed per (term, procedure) once, here. Fields with several values (keywords,
        phrasings, an English name) keep their postings by value. National records are all one-valued.
        """
        n_rows = len(self.indptr) - 1
        seg_sizes = np.diff(np.append(self.starts, self.n_units))
        unit_seg = np.repeat(np.arange(len(self.starts)), seg_sizes)
        unit_single = (seg_sizes == 1)[unit_seg]
        posting_row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(self.indptr))
        single = unit_single[self.units]
        keys = posting_row[single] * max(self.size, 1) + self.segment_docs[unit_seg[self.units[single]]]
        keys, inverse = np.unique(keys, return_inverse=True)
        self.doc_indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys // max(self.size, 1), minlength=n_rows), out=self.doc_indptr[1:])
        self.doc_ids = (keys % max(self.size, 1)).astype(index_type(self.size))
        self.doc_weights = np.bincount(inverse, self.weights[single], minlength=len(keys)).astype(np.float32)
        # several-valued fields: postings by value, values renumbered among themselves
        multi = ~single
        renumber = np.cumsum(~unit_single) - 1
        self.indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(posting_row[multi], minlength=n_rows), out=self.indptr[1:])
        self.units = renumber[self.units[multi]].astype(self.units.dtype)
        self.weights = self.weights[multi]
        kept = seg_sizes > 1
        self.starts = renumber[self.starts[kept]]
        self.segment_docs = self.segment_docs[kept]
        self.n_units = int((~unit_single).sum())

    def _build(self, procedures: Sequence[Procedure], field: str) -> _Field:
        rows: dict[str, int] = {}
        row_ids: list[int] = []
        unit_ids: list[int] = []
        tfs: list[int] = []
        owner: list[int] = []
        lengths: list[int] = []
        for doc, proc in enumerate(procedures):
            seen = self._doc_sets[doc]
            for value in field_values(proc, field):
                words = normalize(value).split()
                if not words:
                    continue
                unit = len(owner)
                owner.append(doc)
                lengths.append(len(words))
                counts = Counter(terms_of(words, marked=True))
                if field == "name":  # the official "sổ BHXH" is also found by "sổ bảo hiểm xã hội"
                    for expansion in spelled_out(words):
                        counts.update(terms_of(expansion, marked=True))
                for term, tf in counts.items():
                    row = rows.get(term)
                    if row is None:
                        row = rows[term] = len(rows)
                    row_ids.append(row)
                    unit_ids.append(unit)
                    tfs.append(tf)
                seen.update(t for t in counts if PAIR not in t)
                if field != "phrasings":
                    self._pair_terms.update(t for t in counts if PAIR in t)
        r = np.array(row_ids, dtype=np.int32)
        u = np.array(unit_ids, dtype=np.int32)
        tf = np.array(tfs, dtype=np.float32)
        order = np.argsort(r, kind="stable")
        r, u, tf = r[order], u[order], tf[order]
        owners = np.array(owner, dtype=np.int32)
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=len(rows)), out=indptr[1:])
        # document frequency per term: distinct owners within each row
        pair_doc = r.astype(np.int64) * max(self.size, 1) + owners[u] if len(u) else r.astype(np.int64)
        df = np.bincount(r[np.unique(pair_doc, return_index=True)[1]], minlength=len(rows))
        n_docs = max(self.size, 1)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths_arr = np.array(lengths, dtype=np.float32)
        avg = float(lengths_arr.mean()) if len(lengths_arr) else 1.0
        norm = K1 * (1 - B + B * lengths_arr / avg)
        weights = (idf[r] * tf * (K1 + 1) / (tf + norm[u])).astype(np.float32) if len(u) else tf
        if owner:
            change = np.flatnonzero(np.diff(owners)) + 1
            starts = np.concatenate(([0], change)).astype(np.int64)
            docs = owners[starts]
        else:
            starts = docs = np.zeros(0, dtype=np.int64)
        return _Field(rows, indptr, u, weights, len(owner), starts, docs)

    def idf(self, folded_term: str) -> float:
        """How rare a folded syllable is across procedures (unknown syllables count as rarest)."""
        found = self._idf.get(folded_term)
        return self._idf_unknown if found is None else found

    def score(self, terms: Iterable[tuple[str, float]]) -> np.ndarray:
        """Weighted sum over fields of the best-valued BM25 score, for every procedure.

        Repeated terms are merged first (long stories repeat words), then only their postings are read.
        """
        boosts: dict[int, float] = {}
        rows = self.rows
        for term, boost in terms:
            row = rows.get(term)
            if row is not None:
                boosts[row] = boosts.get(row, 0.0) + boost
        if not boosts:
            return np.zeros(self.size, dtype=np.float64)
        picked = np.fromiter(boosts, dtype=np.int64, count=len(boosts))
        factors = np.fromiter(boosts.values(), np.float32)
        positions, lengths = spans(self.doc_indptr, picked)
        values = np.take(self.doc_weights, positions) * np.repeat(factors, lengths)
        total = np.zeros(self.size)  # (bincount of nothing would be integers)
        total += np.bincount(np.take(self.doc_ids, positions), values, minlength=self.size)
        if self.n_units:  # fields with several values count by their best value
            positions, lengths = spans(self.indptr, picked)
            values = np.take(self.weights, positions) * np.repeat(factors, lengths)
            per_unit = np.bincount(np.take(self.units, positions), values, minlength=self.n_units)
            total += np.bincount(self.segment_docs, np.maximum.reduceat(per_unit, self.starts), minlength=self.size)
        return total
