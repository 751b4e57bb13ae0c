"""Holding numpy's BLAS to one thread, even when numpy was imported before this package.

On a small machine OpenBLAS's worker threads spin while the encoder runs and the two fight for the cores
(the semantic path's tail latency). `knowledge/__init__.py` sets OPENBLAS_NUM_THREADS before numpy is
imported; OpenBLAS reads it only when it is loaded, so a process that imported numpy first is pinned here.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_SETTERS = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads")
_GETTERS = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads")


def _loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries mapped into this process (Linux; empty elsewhere)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    paths = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()}
    return sorted(p for p in paths if p.startswith("/"))


def _call(lib: ctypes.CDLL, names: tuple[str, ...], *args: int) -> int | None:
    for name in names:
        function = getattr(lib, name, None)
        if function is not None:
            return int(function(*args) or 0)
    return None


def pin_blas_threads() -> dict[str, int]:
    """Set every loaded OpenBLAS to OPENBLAS_NUM_THREADS (1 unless set); returns library -> threads now."""
    try:
        wanted = max(int(os.environ.get("OPENBLAS_NUM_THREADS", "1")), 1)
    except ValueError:
        wanted = 1
    pinned = {}
    for path in _loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if _call(lib, _SETTERS, wanted) is not None:
            pinned[path] = _call(lib, _GETTERS) or wanted
    return pinned
