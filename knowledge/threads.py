"""Holding numpy's BLAS to one thread, even when numpy was imported before this package.

On a small machine BLAS worker threads spin while the encoder runs and the two fight for the cores
(the semantic path's tail latency). `knowledge/__init__.py` sets OPENBLAS_NUM_THREADS before numpy is
imported; a BLAS library reads it only when it is loaded, so a process that imported numpy first is
pinned here, through threadpoolctl.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_info, threadpool_limits


def pin_blas_threads() -> list[int]:
    """Hold every loaded BLAS to OPENBLAS_NUM_THREADS threads (1 unless set); their thread counts now."""
    try:
        wanted = max(int(os.environ.get("OPENBLAS_NUM_THREADS", "1")), 1)
    except ValueError:
        wanted = 1
    threadpool_limits(wanted, user_api="blas")
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
