"""The explainable matcher.

Each feature is a small function whose docstring is its description and which returns a
``Feature``: its score and the values it compared. ``Screener.screen`` finds candidates in
the index, scores every candidate name with the name features, adjusts by type, country and
identifiers, and returns the entries above the threshold, best first, each with the features
that produced its score and the list version it came from.

Scoring, in short: the name score is a rare-token-weighted agreement of significant tokens
(legal forms and stopwords set aside; typos and phonetic variants count partly), read from
both sides, so a short query does not strongly match a long name that merely contains it
("ACME" vs "ACME Trading Holdings International Ltd") and a common word does not carry a
match ("11420 CORP" vs every "... CORP"). An equal identifier (IMO, MMSI, BIC, LEI, ...) is
decisive on its own.

Speed: ``screen`` scores every candidate in a quick pass first (``_quick_score``: the arithmetic
of ``name_tokens`` and ``name_compact``, on weights the index precomputes and token similarities
memoised per screener, without building explanations), and explains only the entries that can
reach the threshold. The quick pass must give the explained scores exactly (tests hold it to
that; benchmarks/bench_screening.py measures it). A screener may be shared by threads: its
memo tables are only ever extended with finished values.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA
from rapidfuzz.fuzz import ratio
from rapidfuzz.process import extract

from engine.screening.index import IndexedName, ScreeningIndex, identifier_key
from engine.screening.model import QUERY_TYPES, ListEntity, ListVersion
from engine.screening.normalize import (
    NameError_,
    NormalizedName,
    check_name,
    fold,
    normalize_name,
    phonetic_key,
)
from engine.screening.store import ListStore

# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds and weights; a rule pack may pass its own (e.g. a lower review threshold)."""

    threshold: float = 0.80  # report matches scoring at least this
    limit: int = 10  # at most this many matches per query
    candidates: int = 60  # listed names scored per query after blocking (best upper bounds first)
    person_query_side: float = 0.6  # individuals: share of the score read from the query's side
    entity_query_side: float = 0.5  # entities, vessels: both sides count equally
    typo_floor: float = 0.75  # OSA similarity at which two tokens count as a typo of each other
    typo_cost: float = 0.05
    blocking_slack: float = 0.15  # candidates whose upper-bound share of the query is this far below threshold still get scored
    phonetic_credit: float = 0.8
    initial_credit: float = 0.4  # "J" for "JOHN"
    compact_floor: float = 0.9  # compact-form similarity below this is ignored
    compact_discount: float = 0.95
    weak_alias_factor: float = 0.9
    type_mismatch_penalty: float = 0.15
    country_bonus: float = 0.03
    country_penalty: float = 0.05

    def __post_init__(self) -> None:
        # token_similarity's memo is keyed by the config too: hash it once, not on every call
        object.__setattr__(self, "_hash", hash(tuple(getattr(self, f.name) for f in fields(self))))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined, no-any-return]


DEFAULT_CONFIG = MatchConfig()
BOUND_MARGIN = 1e-9  # upper bounds are compared with this much room for rounding
SIMILARITY_CACHE_SIZE = 50_000  # query tokens whose similarities to listed tokens a screener keeps

# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Feature:
    """One feature's contribution: its score and the values it compared."""

    name: str
    score: float
    query: str
    candidate: str
    detail: str = ""

    @property
    def description(self) -> str:
        doc = FEATURES[self.name].__doc__ or ""
        return " ".join(doc.split())

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"feature": self.name, "score": round(self.score, 4), "query": self.query,
                               "candidate": self.candidate}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class Match:
    """A listed entry that matched the query."""

    entity: ListEntity
    score: float
    matched_name: str
    features: tuple[Feature, ...]
    list_version: ListVersion

    @property
    def id(self) -> str:
        return self.entity.id

    def explanation(self) -> str:
        return "; ".join(f"{f.name} {f.score:.2f}" + (f" ({f.detail})" if f.detail else "") for f in self.features)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.entity.id,
            "name": self.entity.primary_name,
            "matched_name": self.matched_name,
            "score": round(self.score, 4),
            "type": self.entity.type,
            "programs": self.entity.programs,
            "list_version": self.list_version.version_id,
            "explanation": [f.as_json() for f in self.features],
        }


@dataclass(frozen=True)
class PairResult:
    score: float
    match: bool
    features: tuple[Feature, ...] = field(default=())


# ----------------------------------------------------------------------------- features


@lru_cache(maxsize=262144)
def token_similarity(query: str, candidate: str, config: MatchConfig) -> tuple[float, str]:
    """How alike two normalised tokens are, and why: exact, typo, phonetic, initial, or none.
    A typo costs ``typo_cost`` and one more in the first letter (names are rarely misspelt
    there: HAMAS is not TAMAS); sound-alike spellings get ``phonetic_credit``."""
    if query == candidate:
        return 1.0, "exact"
    if not query.isalpha() or not candidate.isalpha():
        return 0.0, ""  # numbers and codes must match exactly
    if len(query) == 1 or len(candidate) == 1:
        if query[0] == candidate[0]:
            return config.initial_credit, "initial"
        return 0.0, ""
    score, how = 0.0, ""
    if min(len(query), len(candidate)) >= 4:
        similarity = OSA.normalized_similarity(query, candidate)
        if similarity >= config.typo_floor:
            score = similarity - config.typo_cost - (config.typo_cost * 2 if query[0] != candidate[0] else 0.0)
            how = "typo"
    if score < config.phonetic_credit:
        key = phonetic_key(query)
        if len(key) >= 2 and key == phonetic_key(candidate):
            score, how = config.phonetic_credit, "phonetic"
    return score, how


def similarity_value(query: str, candidate: str, query_key: str, candidate_key: str, config: MatchConfig,
                     osa: float | None = None) -> float:
    """``token_similarity``'s score alone, for the quick pass over candidates: the same steps
    and arithmetic, with the phonetic keys passed in (the index computes them once per listed
    token) and nothing hashed per call. ``osa``: the OSA similarity when already computed
    (0.0 for one below the typo floor). A test holds the two to the same values."""
    if query == candidate:
        return 1.0
    if not query.isalpha() or not candidate.isalpha():
        return 0.0
    if len(query) == 1 or len(candidate) == 1:
        return config.initial_credit if query[0] == candidate[0] else 0.0
    score = 0.0
    if len(query) >= 4 and len(candidate) >= 4:
        # with a cutoff rapidfuzz gives up early (and returns 0) below the typo floor
        similarity = OSA.normalized_similarity(query, candidate, score_cutoff=config.typo_floor) if osa is None else osa
        if similarity >= config.typo_floor:
            score = similarity - config.typo_cost - (config.typo_cost * 2 if query[0] != candidate[0] else 0.0)
    if score < config.phonetic_credit and len(query_key) >= 2 and query_key == candidate_key:
        score = config.phonetic_credit
    return score


def name_tokens(query: NormalizedName, candidate: NormalizedName, index: ScreeningIndex, *,
                query_side: float, config: MatchConfig) -> Feature:
    """Rare-token-weighted agreement of the names' significant tokens, in any order. Each token
    weighs by its rarity over all listed names; typos and phonetic variants count partly; the
    score reads both sides, so an extra or missing distinctive word lowers it."""
    pairs = []
    for qi, q in enumerate(query.tokens):
        for ci, c in enumerate(candidate.tokens):
            similarity, how = token_similarity(q, c, config)
            if similarity > 0:
                pairs.append((similarity, qi, ci, how))
    pairs.sort(key=lambda p: p[0], reverse=True)
    used_q: dict[int, tuple[float, int, str]] = {}
    used_c: set[int] = set()
    for similarity, qi, ci, how in pairs:
        if qi not in used_q and ci not in used_c:
            used_q[qi] = (similarity, ci, how)
            used_c.add(ci)
    candidate_weights = [index.idf(c) for c in candidate.tokens]
    query_weights = []
    for qi, q in enumerate(query.tokens):
        if index.known(q):
            query_weights.append(index.idf(q))
        elif qi in used_q:
            query_weights.append(candidate_weights[used_q[qi][1]])  # a misspelling weighs as what it spells
        else:
            query_weights.append(index.max_idf)
    matched_q = sum(used_q[qi][0] * query_weights[qi] for qi in used_q)
    matched_c = sum(used_q[qi][0] * candidate_weights[used_q[qi][1]] for qi in used_q)
    query_cover = matched_q / sum(query_weights) if query_weights else 0.0
    candidate_cover = matched_c / sum(candidate_weights) if candidate_weights else 0.0
    score = query_side * query_cover + (1 - query_side) * candidate_cover
    aligned = [
        f"{query.tokens[qi]}={candidate.tokens[ci]}" + ("" if how == "exact" else f"~{how}")
        for qi, (_, ci, how) in sorted(used_q.items())
    ]
    unmatched = [q for qi, q in enumerate(query.tokens) if qi not in used_q]
    extra = [c for ci, c in enumerate(candidate.tokens) if ci not in used_c]
    detail = ", ".join(aligned)
    if unmatched:
        detail += f"; query only: {' '.join(unmatched)}"
    if extra:
        detail += f"; listed only: {' '.join(extra)}"
    return Feature("name_tokens", score, " ".join(query.tokens), " ".join(candidate.tokens), detail.strip("; "))


def name_compact(query: NormalizedName, candidate: NormalizedName, *, config: MatchConfig) -> Feature:
    """Similarity of the names written without spaces, in written and in sorted token order
    (catches words split or joined differently: AL QAIDA / ALQAIDA, XI JIN PING / XI JINPING)."""
    written = ratio(query.compact, candidate.compact) / 100
    ordered = ratio(query.compact_sorted, candidate.compact_sorted) / 100
    score = max(written, ordered)
    return Feature("name_compact", score, query.compact, candidate.compact)


def weak_alias(listed: IndexedName) -> Feature:
    """The name that matched is a weak (low-quality) alias in the source list."""
    return Feature("weak_alias", 1.0, "", listed.name.full, "weak alias counts 90%")


def identifier_match(query_ids: list[tuple[str, str]], entity: ListEntity) -> Feature | None:
    """An identifier given with the query (IMO, MMSI, BIC, LEI, passport, registration) equals
    one of the listed entry's: decisive on its own."""
    listed = {identifier_key(i.kind, i.value): i for i in entity.identifiers}
    for kind, value in query_ids:
        found = listed.get(identifier_key(kind, value))
        if found:
            return Feature("identifier_match", 1.0, f"{kind} {value}", f"{found.kind} {found.value}")
    return None


def type_agreement(query_type: str | None, entity: ListEntity) -> Feature | None:
    """The listed entry is of the type asked for (individual, entity, vessel, aircraft); a
    different type lowers the score, it does not hide the entry."""
    if query_type is None:
        return None
    agrees = entity.type == query_type
    return Feature("type_agreement", 1.0 if agrees else 0.0, query_type, entity.type)


_COUNTRY_ALIASES = {"RUSSIAN FEDERATION": "RUSSIA", "IRAN ISLAMIC REPUBLIC OF": "IRAN",
                    "KOREA NORTH": "NORTH KOREA", "DEMOCRATIC PEOPLES REPUBLIC OF KOREA": "NORTH KOREA",
                    "SYRIAN ARAB REPUBLIC": "SYRIA", "UNITED STATES OF AMERICA": "UNITED STATES",
                    "UK": "UNITED KINGDOM", "USA": "UNITED STATES"}


def _country(text: str) -> str:
    folded = fold(text)
    return _COUNTRY_ALIASES.get(folded, folded)


def country_agreement(query_countries: list[str], entity: ListEntity) -> Feature | None:
    """A country given with the query is one of the listed entry's countries (addresses,
    nationalities, flag); a small bonus when it is, a small penalty when the entry names only others."""
    if not query_countries or not entity.countries:
        return None
    wanted = {_country(c) for c in query_countries}
    listed = {_country(c) for c in entity.countries}
    shared = wanted & listed
    return Feature("country_agreement", 1.0 if shared else 0.0, ", ".join(sorted(wanted)),
                   ", ".join(sorted(listed)), ", ".join(sorted(shared)))


FEATURES = {f.__name__: f for f in (name_tokens, name_compact, weak_alias, identifier_match, type_agreement,
                                    country_agreement)}

# ----------------------------------------------------------------------------- the screener

_IDENTIFIER_IN_NAME = re.compile(r"\b(IMO|MMSI)[\s:#.]*(\d{7,9})\b", re.IGNORECASE)


def _query_type(value: str | None) -> str | None:
    if value is None:
        return None
    found = QUERY_TYPES.get(value.lower())
    if found is None:
        raise NameError_(f"unknown type {value!r}; use one of {', '.join(sorted(QUERY_TYPES))}")
    return found


def _identifiers(identifiers: Mapping[str, str] | Iterable[str] | None) -> list[tuple[str, str]]:
    """Identifiers as (kind, value): from a mapping {"IMO": "9187629"} or strings "IMO 9187629"."""
    if identifiers is None:
        return []
    if isinstance(identifiers, Mapping):
        return [(str(k).upper(), str(v)) for k, v in identifiers.items() if str(v).strip()]
    out = []
    for item in identifiers:
        kind, _, value = str(item).strip().partition(" ")
        if not value.strip():
            raise NameError_(f"identifier {item!r} must be written as 'KIND VALUE', e.g. 'IMO 9187629'")
        out.append((kind.upper(), value.strip()))
    return out


@dataclass(slots=True)
class _QuickQuery:
    """What the quick pass needs of one query, computed once per query."""

    tokens: tuple[str, ...]
    keys: list[str]  # phonetic keys of the tokens
    known: list[float | None]  # rarity weight of each token the lists hold, None for unknown ones
    rows: list[dict[str, float]]  # per token: memoised similarity to listed tokens
    alike: list[dict[str, float]]  # per token: the part of its row above 0
    columns: dict[str, list[tuple[float, int]]]  # listed token -> (-similarity, query token) alike to it
    best: dict[str, float]  # listed token -> its best similarity to a query token
    compact: str
    compact_sorted: str


class Screener:
    """Screens names against the active list versions of a store (or the bundled sample).

    ``Screener(store).screen(name, type=..., countries=..., identifiers=...) -> list[Match]``
    """

    def __init__(self, store: ListStore | None = None, *, config: MatchConfig = DEFAULT_CONFIG,
                 lists: list[tuple[ListVersion, list[ListEntity]]] | None = None) -> None:
        self.config = config
        if lists is None:
            lists = (store or ListStore()).active_lists()
        self.index = ScreeningIndex(lists)
        self._similar: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
        # The index is millions of long-lived objects: without this, a full cyclic collection
        # walks them all and stalls a query for ~0.5-1 s (measured in bench_screening.py).
        gc.collect()
        gc.freeze()

    @property
    def versions(self) -> list[ListVersion]:
        """The list versions every result of this screener was computed against."""
        return self.index.versions

    def _score_name(self, query: NormalizedName, listed: IndexedName, query_type: str | None) -> tuple[float, list[Feature]]:
        config = self.config
        entity = self.index.entities[listed.entity]
        person = (query_type or entity.type) == "individual"
        side = config.person_query_side if person else config.entity_query_side
        tokens = name_tokens(query, listed.norm, self.index, query_side=side, config=config)
        features = [tokens]
        score = tokens.score
        compact = name_compact(query, listed.norm, config=config)
        if compact.score >= config.compact_floor and compact.score * config.compact_discount > score:
            score = compact.score * config.compact_discount
            features.append(compact)
        if listed.name.strength == "weak":
            score *= config.weak_alias_factor
            features.append(weak_alias(listed))
        return score, features

    def _similarity_rows(self, query: NormalizedName) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
        """Per query token, its memoised similarities to the listed tokens seen so far, and the
        part of them above 0 (kept per screener, across queries: tokens recur)."""
        rows = []
        alike = []
        for token in query.tokens:
            found = self._similar.get(token)
            if found is None:
                if len(self._similar) > SIMILARITY_CACHE_SIZE:
                    self._similar.clear()
                found = self._similar[token] = ({}, {})
            rows.append(found[0])
            alike.append(found[1])
        return rows, alike

    def _quick_score(self, query: _QuickQuery, position: int, side: float, reachable: float | None = None) -> float:
        """The score ``_score_name`` gives, computed without building explanations: the same
        token alignment, weights and compact-form rule, on the index's precomputed weights.
        ``_fill_rows`` must have seen ``position`` (it fills ``query.columns``).

        With ``reachable``: a name that provably cannot score that much gets -1.0 instead of its
        score. The proof is an upper bound: every query token matched fully, every listed token
        as well as its best-matching query token allows, and no compact form close enough."""
        tokens, weights, weight_sum, compact, compact_sorted, weak = self.index.quick_data[position]
        columns = query.columns
        config = self.config
        if reachable is not None and config.weak_alias_factor <= 1.0:
            best_of = query.best
            listed_best = 0.0
            for ci, c in enumerate(tokens):
                best = best_of.get(c)
                if best is not None:
                    listed_best += best * weights[ci]
            bound = side + (1 - side) * (listed_best / weight_sum if weight_sum else 0.0)
            if bound + BOUND_MARGIN < reachable:
                # only the compact form could still get there: at least reachable / discount
                cutoff = max(config.compact_floor, reachable / config.compact_discount) * 100 - BOUND_MARGIN
                if cutoff > 100 or not (ratio(query.compact, compact, score_cutoff=cutoff)
                                        or ratio(query.compact_sorted, compact_sorted, score_cutoff=cutoff)):
                    return -1.0
        # (-similarity, query token, listed token) for every pair that is alike at all; sorted,
        # this is the order the explained path aligns them in (best first, then written order)
        pairs = []
        for ci, c in enumerate(tokens):
            column = columns.get(c)
            if column is not None:
                for negated, qi in column:
                    pairs.append((negated, qi, ci))
        # per query token, the (similarity, listed token) it is aligned with, greedily best first
        aligned: list[tuple[float, int] | None] = [None] * len(query.known)
        if len(pairs) == 1:
            negated, qi, ci = pairs[0]
            aligned[qi] = (-negated, ci)
        elif pairs:
            pairs.sort()
            used_c = 0  # bit ci set: listed token ci is taken
            for negated, qi, ci in pairs:
                if aligned[qi] is None and not used_c >> ci & 1:
                    aligned[qi] = (-negated, ci)
                    used_c |= 1 << ci
        max_idf = self.index.max_idf
        query_total = 0.0
        matched_q = matched_c = 0.0
        for qi, known in enumerate(query.known):
            found = aligned[qi]
            if known is not None:
                weight = known
            elif found is not None:
                weight = weights[found[1]]
            else:
                weight = max_idf
            query_total += weight
            if found is not None:
                matched_q += found[0] * weight
                matched_c += found[0] * weights[found[1]]
        query_cover = matched_q / query_total if query_total else 0.0
        candidate_cover = matched_c / weight_sum if weight_sum else 0.0
        score = side * query_cover + (1 - side) * candidate_cover
        cutoff = max(config.compact_floor, score / config.compact_discount) * 100
        if cutoff <= 100:  # above 100 no compact form can beat the token score
            best = max(ratio(query.compact, compact, score_cutoff=cutoff),
                       ratio(query.compact_sorted, compact_sorted, score_cutoff=cutoff)) / 100
            if best >= config.compact_floor and best * config.compact_discount > score:
                score = best * config.compact_discount
        if weak:
            score *= config.weak_alias_factor
        return score

    def _fill_rows(self, query: _QuickQuery, positions: list[int]) -> None:
        """Work out at once the token similarities the quick pass over ``positions`` needs:
        the similarity rows (memoised across queries) gain what they have not seen yet; then,
        per listed token, the query tokens alike to it (``query.columns``).

        Most listed tokens are alike to a query token in nothing, and are set to 0 in bulk. The
        others are found without comparing every pair one by one (a call per pair costs more in
        the calling than in the comparing): the typo-close ones by one rapidfuzz call over them
        all, the sound-alike ones by their phonetic key, the equal one and the initial by lookup.
        Only those go through ``similarity_value``."""
        index = self.index
        name_tokens, name_keys = index.name_tokens, index.name_keys
        listed: dict[str, str] = {}  # token -> phonetic key
        for position in positions:
            listed.update(zip(name_tokens[position], name_keys[position], strict=True))
        config = self.config
        for qi, row in enumerate(query.rows):
            missing = listed.keys() - row.keys()
            if not missing:
                continue
            q = query.tokens[qi]
            q_key = query.keys[qi]
            close: dict[str, float] = {}
            if len(q) >= 4 and q.isalpha():
                close = {choice: score for choice, score, _ in extract(
                    q, list(missing), scorer=OSA.normalized_similarity, score_cutoff=config.typo_floor, limit=None)}
            if len(q) == 1:
                maybe = missing  # an initial is alike to every token it begins
            else:
                maybe = missing & {q, q[0], *close}  # equal, a one-letter initial of it, typo-close
                if len(q_key) >= 2:
                    maybe |= missing & index.tokens_by_key.get(q_key, frozenset())
            computed = dict.fromkeys(missing, 0.0)  # not equal, no typo, no initial, not alike in sound
            found = {}
            for token in maybe:
                value = computed[token] = similarity_value(q, token, q_key, listed[token], config,
                                                           osa=close.get(token, 0.0))
                if value > 0:
                    found[token] = value
            # The rows are shared by every query (and thread) using this screener: publish each
            # in one step, the alike part first, so a token seen in a row is never missing from
            # its alike part.
            query.alike[qi].update(found)
            row.update(computed)
        # per listed token, the query tokens alike to it, in query order; read from the (short)
        # rows of alike tokens rather than looking up every pair
        columns = query.columns
        best = query.best
        for qi, alike in enumerate(query.alike):
            for token, value in list(alike.items()):  # a copy: another thread may be adding to it
                if token in listed:
                    column = columns.get(token)
                    if column is None:
                        columns[token] = [(-value, qi)]
                        best[token] = value
                    else:
                        column.append((-value, qi))
                        if value > best[token]:
                            best[token] = value

    def _finish(self, entity: ListEntity, score: float, features: list[Feature], query_type: str | None,
                countries: list[str], identifiers: list[tuple[str, str]]) -> float:
        config = self.config
        if (typed := type_agreement(query_type, entity)) is not None and typed.score == 0.0:
            score -= config.type_mismatch_penalty
            features.append(typed)
        if (country := country_agreement(countries, entity)) is not None:
            score += config.country_bonus if country.score else -config.country_penalty
            features.append(country)
        if (ident := identifier_match(identifiers, entity)) is not None:
            score = 1.0
            features.insert(0, ident)
        return min(1.0, max(0.0, score))

    def screen(self, name: str | None, *, type: str | None = None, countries: Iterable[str] = (),
               identifiers: Mapping[str, str] | Iterable[str] | None = None, limit: int | None = None,
               threshold: float | None = None) -> list[Match]:
        """Listed entries matching ``name`` (and/or ``identifiers``) at or above the threshold, best first.

        Raises ``NameError_`` for a query that is not a name (empty, too long, control characters)."""
        config = self.config
        threshold = config.threshold if threshold is None else threshold
        limit = config.limit if limit is None else limit
        query_type = _query_type(type)
        query_ids = _identifiers(identifiers)
        country_list = [c for c in countries if c and c.strip()]
        best: dict[int, tuple[float, str, list[Feature]]] = {}
        if (name is not None and name.strip()) or not query_ids:
            checked = check_name(name)
            query_ids += [(kind.upper(), number) for kind, number in _IDENTIFIER_IN_NAME.findall(checked)]
            query = normalize_name(checked)
            side = config.person_query_side if query_type == "individual" else config.entity_query_side
            # a name matching less than this share of the query's weight cannot reach the threshold
            min_share = max(0.0, (threshold - config.blocking_slack - (1 - side)) / side)
            index = self.index
            rows, alike = self._similarity_rows(query)
            quick_query = _QuickQuery(
                tokens=query.tokens, keys=[phonetic_key(t) for t in query.tokens],
                known=[index.idf_of.get(t) for t in query.tokens], rows=rows, alike=alike,
                columns={}, best={}, compact=query.compact, compact_sorted=query.compact_sorted)
            # Scores first (cheap), explanations only for the entries that can reach the threshold.
            quick: dict[int, tuple[float, int]] = {}
            name_entity = index.name_entity
            if query_type is None:
                sides = [config.person_query_side if individual else config.entity_query_side
                         for individual in (False, True)]
            else:
                sides = [side, side]
            positions = index.candidates(query, config.candidates, min_share)
            self._fill_rows(quick_query, positions)
            reachable = threshold - (config.country_bonus if country_list else 0.0) - 1e-9
            # with identifiers every entry found is explained, so every score must be exact
            prune_below = None if query_ids else reachable
            for position in positions:
                entity_position = name_entity[position]
                score = self._quick_score(quick_query, position, sides[index.name_individual[position]], prune_below)
                previous = quick.get(entity_position)
                if previous is None or score > previous[0]:
                    quick[entity_position] = (score, position)
            for entity_position, (score, position) in quick.items():
                if score < reachable and not query_ids:
                    continue
                listed = index.names[position]
                full, features = self._score_name(query, listed, query_type)
                best[entity_position] = (full, listed.name.full, features)
        for kind, value in query_ids:
            for position in self.index.by_identifier(kind, value):
                if position not in best:
                    entity = self.index.entities[position]
                    best[position] = (0.0, entity.primary_name, [])
        matches = []
        for position, (score, matched, features) in best.items():
            entity = self.index.entities[position]
            final = self._finish(entity, score, features, query_type, country_list, query_ids)
            if final >= threshold:
                version = self.index.versions[self.index.entity_version[position]]
                matches.append(Match(entity, final, matched, tuple(features), version))
        matches.sort(key=lambda m: (-m.score, m.entity.id))
        return matches[:limit]

    def pair(self, query: str, candidate: str, *, type: str | None = None,
             threshold: float | None = None) -> PairResult:
        """Score one query name against one candidate name (no list lookup), with the same
        features and the rare-token weights of the loaded lists."""
        threshold = self.config.threshold if threshold is None else threshold
        query_type = _query_type(type)
        query_norm = normalize_name(check_name(query, what="query"))
        candidate_norm = normalize_name(check_name(candidate, what="candidate"))
        from engine.screening.model import ListedName

        listed = IndexedName(-1, ListedName(full=candidate), candidate_norm)
        config = self.config
        side = config.person_query_side if query_type == "individual" else config.entity_query_side
        tokens = name_tokens(query_norm, candidate_norm, self.index, query_side=side, config=config)
        score, features = tokens.score, [tokens]
        compact = name_compact(query_norm, listed.norm, config=config)
        if compact.score >= config.compact_floor and compact.score * config.compact_discount > score:
            score = compact.score * config.compact_discount
            features.append(compact)
        score = min(1.0, max(0.0, score))
        return PairResult(score=score, match=score >= threshold, features=tuple(features))
