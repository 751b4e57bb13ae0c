"""Every ranking and confidence constant of the matcher, in one table, each with where its value came from.

Tuning sets: `tests/data/dev_questions.jsonl` (the development set, shipped knowledge base), the short tuning set
`tests/data/tuning/short_questions.jsonl` (written before reading any phrasing; shipped knowledge base), the
tuning half of the portal questions (`kb eval --half tuning`, national records) and the development questions
that name a national code (on the national records). Values marked "fitted" come from `python -m knowledge.fit` on those
sets; "swept" values from sweeps on them recorded in docs/knowledge-experiments.md. The frozen sets
(`tests/data/frozen/`, the portal's frozen half) never set a value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weight:
    """A constant and the one line that says where its value came from."""

    value: float
    source: str


WEIGHTS: dict[str, Weight] = {
    # -- lexical index (BM25 per field) --
    "field.name": Weight(1.0, "reference field; the others are relative to it"),
    "field.keywords": Weight(0.5, "swept on the development set (first sessions)"),
    "field.phrasings": Weight(0.8, "swept on the development set (first sessions)"),
    "field.domain": Weight(0.3, "swept on the development set (first sessions)"),
    "field.result": Weight(0.3, "swept on the portal tuning half: 0.2 and 0.5 lose 1-3 top-five hits"),
    "bm25.k1": Weight(1.2, "the usual BM25 default"),
    "bm25.b": Weight(0.6, "swept on the development set (short fields: less length normalization than 0.75)"),
    # -- question terms --
    "terms.marked": Weight(0.5, "weight of terms with their marks when the question has marks; development set"),
    "terms.added": Weight(0.6, "weight of synonym, abbreviation and English additions; development set"),
    "terms.literal_pair": Weight(0.5, "word pairs in the literal reading of a long question; portal tuning half"),
    "terms.ask": Weight(2.0, "the asking sentences of a story in the literal reading; portal (hit@1 +0.02)"),
    # -- candidates --
    "pool.candidates": Weight(50, "candidates taken from each signal before fusion (more changes no result)"),
    "pool.fuzzy": Weight(12, "leading candidates re-ranked by fuzzy closeness; development set"),
    "shown": Weight(5, "the leading results a citizen may see (a card and its alternatives, or a choice)"),
    "shown.same_name": Weight(2, "records of one name (other levels) among them; portal tuning (1 loses 3)"),
    "name.action_words": Weight(4, "opening words of a name that state its action ('Cấp lại', 'Gia hạn')"),
    # -- fusion --
    "fusion.dense_short": Weight(0.2, "semantic share for short questions; development set"),
    "fusion.dense_long": Weight(0.5, "semantic share for long ones and for knowledge bases without phrasings; portal"),
    "fusion.contain": Weight(0.15, "name containment share for long questions; portal (0.1/0.2 lose hits)"),
    "fusion.fuzzy": Weight(0.25, "rapidfuzz closeness share for short questions; development set"),
    "fusion.short_words": Weight(6, "content words up to which a question is short; development set"),
    "fusion.long_words": Weight(15, "content words from which a question is long; portal"),
    # -- adjustments --
    "adjust.breadth": Weight(0.05, "bonus for a procedure at every level; portal tuning (+1 first hit)"),
    "adjust.ministry_only": Weight(0.03, "penalty for a ministry-only procedure; 0.01-0.05 tie, 0.08 loses"),
    "adjust.unsaid": Weight(0.05, "penalty for an unsaid change or special case; portal tuning"),
    "adjust.said_action": Weight(0.05, "bonus for a name whose change of a paper a short question says ('đổi cccd'); "
                                       "as much as the unsaid penalty, round 4 tuning"),
    "adjust.narrowing": Weight(0.07, "more when the general procedure is a candidate too; 0.12 in all, portal"),
    "adjust.coverage": Weight(0.7, "share of a short question explained (leading candidates); short tuning, 0.1-1.5"),
    "pool.coverage": Weight(8, "leading candidates re-ranked by the share of a short question they explain"),
    "adjust.age": Weight(0.3, "penalty for a name for other ages than the question states; short tuning set"),
    "adjust.other_kind": Weight(0.3, "penalty for a name for another school level or kind of business than the "
                                     "question says; as the age penalty (round 6 tuning)"),
    # -- which question is about a procedure, and how sure the first one is --
    "query.initials_share": Weight(0.66, "an unknown word without a vowel is read as the initials of a phrase when "
                                         "at least this share of the phrases with those initials is that one "
                                         "('dktt': thường trú 6, tạm trú 2); hand-set, round 4 tuning"),
    "confidence.procedure_coverage": Weight(0.35, "below this share of a short question no procedure fits; dev"),
    "confidence.min_evidence": Weight(0.4, "matched rarity needed (share of the rarest syllable's); short tuning"),
    "intent.model_min": Weight(0.6, "the learned intent overrides an unsure search from this probability; "
                                    "python -m knowledge.fit_intent, leave-one-set-out: +8 right intents, "
                                    "no procedure question lost (0.5: one lost, 0.7: +4)"),
    "confidence.said_name": Weight(0.4, "a question saying this share of the first's name (by rarity) is about it "
                                        "though it says much else; tuning sets: right firsts under the coverage "
                                        "bar said 0.45-1.0 of it, out-of-scope questions at most 0.27"),
    "confidence.tie_coverage": Weight(0.15, "a runner-up this close in coverage is a tie; development set"),
    "confidence.variant_overlap": Weight(0.6, "share of the first's name words a tied variant repeats; short tuning"),
    "confidence.problem_explained": Weight(0.9, "a problem word in a question a procedure explains this well is "
                                                "the procedure's ('khai sinh quá hạn'); short tuning and dev"),
    "confidence.problem_named_rest": Weight(0.4, "share of a question without its problem words that a procedure "
                                                 "it names in full must explain to be asked about; hand-set on "
                                                 "examples written in round 4 (none from a test set)"),
    "confidence.general_ties": Weight(3, "this many runners-up tied: too general for a card ('bảo hiểm'); dev set"),
    # the probability that the first procedure is right: a logistic regression per kind of knowledge base
    # (curated: with phrasings, the shipped one; uncurated: imported national records), see knowledge/confidence.py
    "confidence.curated.bias": Weight(-4.929, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.coverage": Weight(1.685, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.evidence": Weight(1.051, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.margin": Weight(0.820, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.score": Weight(2.203, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.ties": Weight(-0.187, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.named": Weight(0.884, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.lead": Weight(0.836, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.span": Weight(0.376, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.agreement": Weight(1.447, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.dense_gap": Weight(0.737, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.curated.contain": Weight(1.235, "fitted: python -m knowledge.fit (dev + short tuning)"),
    "confidence.uncurated.bias": Weight(-1.502, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.coverage": Weight(0.772, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.evidence": Weight(0.190, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.margin": Weight(1.015, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.score": Weight(0.452, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.ties": Weight(-0.007, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.named": Weight(0.555, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.lead": Weight(1.036, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.span": Weight(-0.203, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.agreement": Weight(0.814, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.dense_gap": Weight(0.018, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.uncurated.contain": Weight(1.038, "fitted: python -m knowledge.fit (portal tuning + dev national)"),
    "confidence.curated.card": Weight(0.8, "card from here: out-of-fold wrong short 0.02 (0.75: 0.04), dev 0.01"),
    "confidence.uncurated.card": Weight(0.65, "card from here: out-of-fold wrong portal 0.14 (0.6: 0.17), dev 0.05"),
    "choices.short": Weight(3, "procedures offered to choose from for a short question"),
    "choices.long": Weight(5, "... for a long one or on the national records (hit@5 vs hit@3: +0.08 portal)"),
}


def weight(name: str) -> float:
    """The value of one named constant."""
    return WEIGHTS[name].value
