"""A stored copy of the lexical index beside an imported knowledge base, so start-up stays fast."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.loader import DATA_DIR, KnowledgeBase, procedure_files

CACHE_FILE = "lexical.pkl"
CACHE_VERSION = "lexical-v19"  # change when the index layout or its text processing changes


def fingerprint(kb: KnowledgeBase) -> str | None:
    """A digest of the knowledge base's procedure files and the index version, or None without a path."""
    if kb.path is None:
        return None
    digest = hashlib.blake2b(CACHE_VERSION.encode(), digest_size=16)
    for file in procedure_files(kb.path):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _cache_path(kb: KnowledgeBase) -> Path | None:
    """Where the cache lives; the shipped data is small and is indexed at start-up instead."""
    if kb.path is None or kb.path.resolve() == DATA_DIR.resolve():
        return None
    return kb.path / CACHE_FILE


def load_state(kb: KnowledgeBase) -> Any | None:
    """The stored index state when it matches the knowledge base, else None."""
    path = _cache_path(kb)
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            stored_print, state = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError):
        return None
    return state if stored_print == fingerprint(kb) else None


def save_state(kb: KnowledgeBase, state: Any) -> Path | None:
    """Store the index state beside the knowledge base (only for directories written by `kb import`).

    Written to a temporary file first, so a process starting meanwhile never reads half a file.
    """
    path = _cache_path(kb)
    if path is None:
        return None
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        with partial.open("wb") as fh:
            pickle.dump((fingerprint(kb), state), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def load_or_build(kb: KnowledgeBase, build: Callable[[], Any]) -> Any:
    """The stored index state, or a new one; a stale stored copy (e.g. after an upgrade) is replaced."""
    state = load_state(kb)
    if state is None:
        state = build()
        path = _cache_path(kb)
        if path is not None and path.is_file():
            with contextlib.suppress(OSError):  # a read-only directory: built again at the next start
                save_state(kb, state)
    return state
