"""Candidate blocking: find the few listed names worth scoring without scanning every entry.

Keys, each an inverted index from key to the listed names holding it:
- the significant tokens themselves (their posting length is the token's document frequency,
  which also gives the rare-token weights the matcher uses);
- a phonetic key per token (transliteration variants: MUHAMMAD / MOHAMMED / MHMD);
- one-letter deletions of tokens of 5+ letters (typos: ROSNFT finds ROSNEFT);
- adjacent token pairs written together (AL QAIDA finds ALQAIDA and the other way round).

A query collects credit per listed name from its tokens, rarest first; tokens so common that
their postings would dominate the work (TRADING, MOHAMMAD) are only used when the query has
nothing rarer. The best-credited names go on to full scoring.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from engine.screening.model import ListedName, ListEntity, ListVersion
from engine.screening.normalize import NormalizedName, normalize_name, phonetic_key

MIN_DELETION_LENGTH = 5
MIN_PHONETIC_KEY = 3
NEIGHBOUR_CACHE_SIZE = 100_000  # query tokens whose typo neighbours are kept
FUZZY_CREDIT = 1.0  # a typo/phonetic neighbour may score as high as the exact token: credit is an upper bound


def deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))}


def identifier_key(kind: str, value: str) -> tuple[str, str]:
    """Identifiers compare on kind plus the value without spaces, dashes and case; a BIC on
    its first 8 characters (the branch code is optional)."""
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum())
    kind = kind.upper()
    if kind == "BIC":
        cleaned = cleaned[:8]
    if kind == "IMO" and cleaned.startswith("IMO"):
        cleaned = cleaned[3:]
    return kind, cleaned


@dataclass(slots=True)
class IndexedName:
    entity: int  # position in ScreeningIndex.entities
    name: ListedName
    norm: NormalizedName


class ScreeningIndex:
    """Every name of the given list versions, with the inverted indexes for blocking."""

    def __init__(self, lists: list[tuple[ListVersion, list[ListEntity]]]) -> None:
        self.versions: list[ListVersion] = [version for version, _ in lists]
        self.entities: list[ListEntity] = []
        self.entity_version: list[int] = []
        self.names: list[IndexedName] = []
        self.tokens: dict[str, list[int]] = defaultdict(list)
        self.phonetic: dict[str, list[int]] = defaultdict(list)
        self.joined: dict[str, list[int]] = defaultdict(list)
        self.deleted: dict[str, set[str]] = defaultdict(set)  # deletion variant -> vocabulary tokens
        self.identifiers: dict[tuple[str, str], list[int]] = defaultdict(list)
        for version_position, (_, entities) in enumerate(lists):
            for entity in entities:
                entity_position = len(self.entities)
                self.entities.append(entity)
                self.entity_version.append(version_position)
                for identifier in entity.identifiers:
                    key = identifier_key(identifier.kind, identifier.value)
                    if key[1]:
                        self.identifiers[key].append(entity_position)
                seen_forms: set[str] = set()
                for listed in entity.names:
                    norm = normalize_name(listed.full)
                    if not norm.tokens or norm.folded in seen_forms:
                        continue
                    seen_forms.add(norm.folded)
                    self._add_name(IndexedName(entity_position, listed, norm))
        self.tokens = dict(self.tokens)
        self.phonetic = dict(self.phonetic)
        self.joined = dict(self.joined)
        self.deleted = dict(self.deleted)
        self.identifiers = dict(self.identifiers)
        self.name_count = max(len(self.names), 1)
        self.max_idf = math.log(self.name_count + 1) + 1.0
        self.common_df = max(500, self.name_count // 50)
        self.idf_of = {token: math.log((self.name_count + 1) / (len(p) + 1)) + 1.0 for token, p in self.tokens.items()}
        # Per listed name, computed once: its token weights and their sum, and its compact forms
        # (the matcher's inner loop reads these for every candidate).
        self.name_weights: list[tuple[float, ...]] = [tuple(self.idf_of[t] for t in n.norm.tokens) for n in self.names]
        self.name_weight_sums: list[float] = [sum(w) for w in self.name_weights]
        self.name_compacts: list[tuple[str, str]] = [(n.norm.compact, n.norm.compact_sorted) for n in self.names]
        self.name_tokens: list[tuple[str, ...]] = [n.norm.tokens for n in self.names]
        self.name_lengths: list[int] = [len(tokens) for tokens in self.name_tokens]
        self.name_keys: list[tuple[str, ...]] = [tuple(phonetic_key(t) for t in n.norm.tokens) for n in self.names]
        # phonetic key -> the listed tokens that have it (the matcher's sound-alike lookup)
        by_key: dict[str, set[str]] = defaultdict(set)
        for tokens, keys in zip(self.name_tokens, self.name_keys, strict=True):
            for token, key in zip(tokens, keys, strict=True):
                if len(key) >= 2:
                    by_key[key].add(token)
        self.tokens_by_key: dict[str, frozenset[str]] = {key: frozenset(found) for key, found in by_key.items()}
        # what the matcher's quick pass reads per candidate, in one tuple
        self.quick_data: list[tuple[tuple[str, ...], tuple[float, ...], float, str, str, bool]] = [
            (n.norm.tokens, self.name_weights[p], self.name_weight_sums[p], *self.name_compacts[p],
             n.name.strength == "weak")
            for p, n in enumerate(self.names)]
        self._neighbour_cache: dict[str, frozenset[str]] = {}
        self.name_entity: list[int] = [n.entity for n in self.names]
        self.name_individual: list[bool] = [self.entities[n.entity].type == "individual" for n in self.names]

    def _add_name(self, indexed: IndexedName) -> None:
        position = len(self.names)
        self.names.append(indexed)
        tokens = indexed.norm.tokens
        for token in set(tokens):
            postings = self.tokens.setdefault(token, [])
            # first time this token is seen: register its typo neighbours
            if not postings and len(token) >= MIN_DELETION_LENGTH and token.isalpha():
                for variant in deletions(token):
                    self.deleted.setdefault(variant, set()).add(token)
            postings.append(position)
        for key in {phonetic_key(t) for t in tokens}:
            if len(key) >= MIN_PHONETIC_KEY:
                self.phonetic.setdefault(key, []).append(position)
        for first, second in pairwise(tokens):
            self.joined.setdefault(first + second, []).append(position)

    # ------------------------------------------------------------------ weights

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over all listed names; a token no list holds
        gets the highest weight (it is the rarest possible)."""
        return self.idf_of.get(token, self.max_idf)

    def known(self, token: str) -> bool:
        return token in self.tokens

    # ------------------------------------------------------------------ blocking

    def neighbours(self, token: str) -> frozenset[str]:
        """Vocabulary tokens one edit (deletion, insertion, substitution) away from ``token``
        (memoised: query tokens recur, and the deletion variants are the costly part)."""
        found = self._neighbour_cache.get(token)
        if found is None:
            if len(self._neighbour_cache) > NEIGHBOUR_CACHE_SIZE:
                self._neighbour_cache.clear()
            found = self._neighbour_cache[token] = frozenset(self._neighbours(token))
        return found

    def _neighbours(self, token: str) -> set[str]:
        if len(token) < MIN_DELETION_LENGTH - 1 or not token.isalpha():
            return set()
        found: set[str] = set()
        variants = deletions(token)
        for variant in (token, *variants):
            found |= self.deleted.get(variant, set())
        # a letter too many in the query: one of its deletions is the listed spelling
        found |= {v for v in variants if len(v) >= MIN_DELETION_LENGTH and v in self.tokens}
        found.discard(token)
        return found

    def candidates(self, query: NormalizedName, limit: int, min_share: float = 0.0) -> list[int]:
        """Positions of the listed names most worth scoring for ``query``, best first: at most
        ``limit``, and only those whose credit reaches ``min_share`` of the query's total weight
        (credit is an upper bound of the weight a name can match)."""
        credit: dict[int, float] = {}
        keyed = sorted(set(query.tokens), key=lambda t: len(self.tokens.get(t, ())))
        rare_seen = False
        for token in keyed:
            weight = self.idf(token)
            exact = self.tokens.get(token, [])
            if len(exact) > self.common_df and rare_seen:
                continue
            fuzzy: list[int] = []
            for neighbour in self.neighbours(token):
                fuzzy.extend(self.tokens[neighbour])
            key = phonetic_key(token)
            if len(key) >= MIN_PHONETIC_KEY:
                phonetic = self.phonetic.get(key, [])
                if len(phonetic) <= self.common_df:
                    fuzzy.extend(phonetic)
            fuzzy.extend(self.joined.get(token, []))
            # a listed name credited once per query token: the exact weight where it holds the
            # token, the fuzzy credit where it holds only a neighbour
            per_name = dict.fromkeys(fuzzy, weight * FUZZY_CREDIT)
            per_name.update(dict.fromkeys(exact, weight))
            # names credited before get the sum (in token order, as one running total would);
            # the set intersection runs in C, the loop only over names sharing query tokens
            for position in per_name.keys() & credit.keys():
                per_name[position] = credit[position] + per_name[position]
            credit.update(per_name)
            if exact or fuzzy:
                rare_seen = rare_seen or len(exact) <= self.common_df
        for first, second in pairwise(query.tokens):
            for position in self.tokens.get(first + second, []):
                credit[position] = credit.get(position, 0.0) + self.idf(first + second)
        floor = min_share * sum(self.idf(t) for t in query.tokens)
        if len(credit) > limit:
            # only names credited at least as much as the limit-th best can be among the first
            # `limit` (ties at that credit are all kept, then ordered below)
            cut = sorted(credit.values(), reverse=True)[limit - 1] if limit > 0 else math.inf
            floor = max(floor, cut)
        # among equal credit, shorter names first: they leave less of the listed name unmatched
        lengths = self.name_lengths
        ranked = [(-v, lengths[p], p) for p, v in credit.items() if v >= floor]
        ranked.sort()
        return [position for _, _, position in ranked[:limit]]

    def by_identifier(self, kind: str, value: str) -> list[int]:
        return self.identifiers.get(identifier_key(kind, value), [])
