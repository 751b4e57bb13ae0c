"""Knowledge base of administrative procedures and agencies, and the matcher that searches it."""

from knowledge.loader import KnowledgeBase, KnowledgeBaseError, default_knowledge_base, load_knowledge_base
from knowledge.matcher import Hit, Matcher, MatchResult
from knowledge.models import Agency, Procedure

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
