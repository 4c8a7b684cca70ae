"""The matcher on the real lists (OFAC SDN + consolidated + UN loaded together) and the pitfalls
measured in DESIGN.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.screening import ListStore, MatchConfig, Screener
from engine.screening.normalize import NameError_, normalize_name


@pytest.fixture(scope="module")
def real_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ListStore:
    store = ListStore(tmp_path_factory.mktemp("lists"))
    folder = shared_data / "sanctions"
    store.import_files([folder / "ofac/sdn_2024-05-03/sdn.csv"])
    store.import_files(sorted((folder / "ofac/consolidated_non_sdn_2025-12-19").glob("*.csv")))
    store.import_files([folder / "un/UN_consolidated.xml"])
    return store


@pytest.fixture(scope="module")
def real(real_store: ListStore) -> Screener:
    return Screener(real_store)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return Screener(ListStore(tmp_path_factory.mktemp("empty")))


def ids(matches) -> list[str]:
    return [m.id for m in matches]


def test_legal_form_punctuation_and_case_do_not_matter(real: Screener) -> None:
    result = real.pair("ROSNEFT MARINE TRADING CO LTD", "Rosneft Marine Trading Co., Ltd.", type="entity")
    assert result.score == 1.0 and result.match


def test_short_name_inside_a_long_one_is_not_a_strong_match(real: Screener, sample: Screener) -> None:
    assert real.pair("ACME", "ACME Trading Holdings International Ltd").score < 0.7
    assert "SAMPLE:9000001" not in ids(sample.screen("ACME"))
    assert ids(sample.screen("Acme Trading Holdings International Limited")) == ["SAMPLE:9000001"]


def test_common_words_do_not_carry_a_match(real: Screener) -> None:
    matches = real.screen("11420 CORP", limit=50, threshold=0.5)
    assert ids(matches) == ["OFAC-SDN:24430"]
    assert not real.screen("99999 CORP", threshold=0.5)


def test_token_order_does_not_matter(real: Screener) -> None:
    assert ids(real.screen("Ismail Haniya", type="person"))[0] in {"OFAC-CONS:9639", "OFAC-SDN:23627"}
    assert ids(real.screen("CUBA DE NACIONAL BANCO"))[0] == "OFAC-SDN:306"


def test_typos_are_tolerated_but_cost(real: Screener) -> None:
    exact = real.screen("BANCO NACIONAL DE CUBA")[0]
    typo = real.screen("BANCO NACIONNAL DE CUBBA")[0]
    assert typo.id == exact.id == "OFAC-SDN:306"
    assert 0.8 <= typo.score < exact.score == 1.0
    assert "typo" in typo.explanation()


def test_first_letter_substitution_is_not_a_typo_match(real: Screener) -> None:
    assert ids(real.screen("HAMAS"))[:1] == ["OFAC-SDN:4695"]
    assert all(m.entity.primary_name != "TAMAS COMPANY" for m in real.screen("HAMAS"))


def test_cyrillic_query_matches_latin_listing(real: Screener, sample: Screener) -> None:
    assert "OFAC-CONS:18715" in ids(real.screen("Сбербанк"))
    petrova = sample.screen("Петрова Анастасия Ивановна", type="person")
    assert ids(petrova) == ["SAMPLE:9000003"] and petrova[0].score >= 0.95
    latin = sample.screen("Anastasia Petrova", type="person")
    assert ids(latin) == ["SAMPLE:9000003"]


def test_arabic_script_matches_transliterated_listing(sample: Screener) -> None:
    assert ids(sample.screen("خالد محمود الراشدي")) == ["SAMPLE:9000007"]
    assert ids(sample.screen("Khaled Al Rashidi", type="person")) == ["SAMPLE:9000007"]


def test_split_and_joined_words(real: Screener) -> None:
    assert {"UN:QDe.004", "OFAC-SDN:6366"} <= set(ids(real.screen("ALQAIDA")))


def test_vessel_by_imo(real: Screener, sample: Screener) -> None:
    by_number = real.screen(None, identifiers={"IMO": "7406784"})
    assert ids(by_number) == ["OFAC-SDN:4243"]
    assert by_number[0].features[0].name == "identifier_match"
    renamed = sample.screen("Completely Different Name", type="vessel", identifiers=["IMO 9999992"])
    assert ids(renamed) == ["SAMPLE:9000004"] and renamed[0].score == 1.0
    assert ids(sample.screen("IMO 9999992")) == ["SAMPLE:9000004"]


def test_bic_matches_without_branch_code(sample: Screener) -> None:
    assert ids(sample.screen(None, identifiers={"BIC": "ACMEXXB1XXX"})) == ["SAMPLE:9000001"]


def test_type_and_country_adjust_the_score(sample: Screener) -> None:
    as_entity = sample.screen("Anastasia Ivanovna Petrova", type="entity", threshold=0.0)[0]
    as_person = sample.screen("Anastasia Ivanovna Petrova", type="person", threshold=0.0)[0]
    assert as_person.score - as_entity.score == pytest.approx(MatchConfig().type_mismatch_penalty)
    same = sample.screen("Anastasia Ivanovna Petrova", countries=["Freedonia"], threshold=0.0)[0]
    other = sample.screen("Anastasia Ivanovna Petrova", countries=["Sylvania"], threshold=0.0)[0]
    assert same.score > other.score


def test_results_are_explained_and_name_their_list_version(real: Screener) -> None:
    match = real.screen("BANK MELLI IRAN")[0]
    assert match.id == "OFAC-SDN:25578"
    data = match.as_json()
    assert data["list_version"].startswith("OFAC-SDN-2024-05-03-")
    assert data["explanation"][0]["feature"] == "name_tokens"
    assert "BANK=BANK" in data["explanation"][0]["detail"]
    assert {v.source for v in real.versions} == {"OFAC-SDN", "OFAC-CONS", "UN"}


def test_candidates_come_from_the_index_not_a_scan(real: Screener) -> None:
    query = normalize_name("Rosneft Marine Trading Co., Ltd.")
    candidates = real.index.candidates(query, limit=10_000)
    assert 0 < len(candidates) < len(real.index.names) / 20


def test_threshold_is_configurable(real: Screener) -> None:
    loose = real.screen("ROSNEFT", threshold=0.5, limit=100)
    strict = real.screen("ROSNEFT", threshold=0.99, limit=100)
    assert set(ids(strict)) < set(ids(loose))
    assert all(m.score >= 0.99 for m in strict)


@pytest.mark.parametrize(("name", "message"), [
    ("", "empty"),
    ("   ", "empty"),
    ("A" * 401, "401 characters long"),
    ("ACME\x00CORP", "control character U\\+0000"),
    ("--- ...", "no letters or digits"),
])
def test_bad_names_are_refused_with_a_reason(sample: Screener, name: str, message: str) -> None:
    with pytest.raises(NameError_, match=message):
        sample.screen(name)


def test_unknown_type_is_refused(sample: Screener) -> None:
    with pytest.raises(NameError_, match="unknown type 'ship'"):
        sample.screen("NORTHERN STAR", type="ship")


def test_quick_pass_similarity_equals_the_explained_one(real: Screener) -> None:
    """The quick pass (similarity_value, and its shortcut for pairs alike in nothing) must give
    what the explained path's token_similarity gives, or the two paths would rank differently."""
    from engine.screening.match import DEFAULT_CONFIG, similarity_value, token_similarity
    from engine.screening.normalize import phonetic_key

    vocabulary = sorted(real.index.tokens)[::37][:300]  # a spread of listed tokens, all lengths
    queries = ["MOHAMMAD", "MUHAMMED", "ROSNFT", "J", "AL", "QAIDA", "1142", "SOLEIMANI", "HOLDING", "X"]
    for query in queries + vocabulary[:40]:
        for listed in [*vocabulary, "MUHAMMAD", "ROSNEFT", "JOHN", "QAEDA", "11420", "SULEIMANI", "HOLDINGS"]:
            expected = token_similarity(query, listed, DEFAULT_CONFIG)[0]
            assert similarity_value(query, listed, phonetic_key(query), phonetic_key(listed), DEFAULT_CONFIG) == expected


def test_quick_scores_agree_with_the_explained_scores(real: Screener) -> None:
    """Every match's score is the explained path's; the quick pass only decides which entries
    get explained, so it must never drop one the explained path would report."""
    for name in ["Rosneft Marine Trading", "Banco Nacional de Cuba", "Qasem Sulaymani", "Islamic Revolutionary Guard",
                 "Mahan Air", "Al Qaida", "Hamas", "Korea Kwangson Banking Corp"]:
        quick = {m.id: m.score for m in real.screen(name, threshold=0.6, limit=1000)}
        # a threshold of 0 explains every candidate: what reaches 0.6 there must be what the quick pass let through
        full = {m.id: m.score for m in real.screen(name, threshold=0.0, limit=1000) if m.score >= 0.6}
        assert quick == full, name


def test_memoised_similarities_are_the_explained_ones(real_store: ListStore) -> None:
    """The quick pass fills its memo in bulk (0 for tokens alike in nothing, found by lookups
    rather than pair by pair): every value it stored must be token_similarity's."""
    from engine.screening.match import token_similarity

    screener = Screener(real_store)  # a fresh memo
    for name in ["Mohamad Barzan Ibrahim al Tikriti", "J Smith", "Rosnft Marine Trading", "Al Qaeda in Iraq",
                 "ООО Ромашка", "11420 Corp", "Kasem Suleimani", "Banco Nacional Cuba"]:
        screener.screen(name)
    stored = [(token, listed, value) for token, (row, _) in screener._similar.items() for listed, value in row.items()]
    assert len(stored) > 1000  # the memo really was filled
    nonzero = 0
    for token, listed, value in stored:
        assert value == token_similarity(token, listed, screener.config)[0], (token, listed)
        nonzero += value > 0
    assert nonzero > 20
    for token, (row, alike) in screener._similar.items():
        assert alike == {listed: value for listed, value in row.items() if value > 0}, token
