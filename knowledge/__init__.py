"""Knowledge base of administrative procedures and agencies, and the matcher that searches it."""

import os

# numpy's BLAS threads would fight the encoder's threads on small machines: one is plenty for our sizes.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from knowledge.loader import KnowledgeBase, KnowledgeBaseError, default_knowledge_base, load_knowledge_base  # noqa: E402
from knowledge.matcher import Hit, Matcher, MatchResult  # noqa: E402
from knowledge.models import Agency, Procedure  # noqa: E402

__all__ = [
    "Agency",
    "Hit",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MatchResult",
    "Matcher",
    "Procedure",
    "default_knowledge_base",
    "load_knowledge_base",
]
