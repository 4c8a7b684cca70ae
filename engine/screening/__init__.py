"""Sanctions screening: official list importers, a versioned list store, and an explainable matcher.

    from engine.screening import Screener, ListStore
    matches = Screener(ListStore()).screen("Rosneft Marine Trading", type="entity")
"""

from __future__ import annotations

from engine.screening.match import Match, MatchConfig, PairResult, Screener
from engine.screening.model import ListEntity, ListVersion
from engine.screening.store import ListStore, StoreError

__all__ = ["ListEntity", "ListStore", "ListVersion", "Match", "MatchConfig", "PairResult", "Screener", "StoreError"]
