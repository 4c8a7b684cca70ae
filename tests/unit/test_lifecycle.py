"""The Python enforcer of the shared lifecycle spec, run against the shared vectors and bad specs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fabric.lifecycle import (
    SPEC_PATH,
    Lifecycle,
    LifecycleError,
    MemoryState,
    SpecError,
    load_spec,
    load_vectors,
    parse_spec,
    run_step,
)

VECTORS = load_vectors()
LC_HASH = "a" * 64


@pytest.fixture(scope="module")
def lifecycle() -> Lifecycle:
    return Lifecycle(load_spec())


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_shared_vector(lifecycle: Lifecycle, vector: dict[str, Any]) -> None:
    state = MemoryState()
    for number, step in enumerate(vector["steps"]):
        before = copy.deepcopy((state.entities, state.records))
        kind, result = run_step(lifecycle, state, step)
        expect = step["expect"]
        if "error" in expect:
            assert (kind, result) == ("error", expect["error"]), f"step {number}: {step}"
            assert (state.entities, state.records) == before, f"step {number} changed state while failing"
        else:
            assert (kind, result) == ("ok", expect["state"]), f"step {number}: {step}"


def test_vectors_cover_every_action_and_org_type(lifecycle: Lifecycle) -> None:
    # A vector file that never exercises an action would let the two enforcers drift unnoticed.
    fired = {(s["machine"], s["action"]) for v in VECTORS for s in v["steps"] if "machine" in s}
    if any("record_examination" in s for v in VECTORS for s in v["steps"]):
        fired.add(("letter_of_credit", lifecycle.spec.examination.lc_action))
    declared = {(m.name, t.action) for m in lifecycle.spec.machines.values() for t in m.transitions.values()}
    assert declared - fired == set()
    assert {s["msp"] for v in VECTORS for s in v["steps"]} >= set(lifecycle.spec.organisations)


def test_event_names_transition_and_args(lifecycle: Lifecycle) -> None:
    state = MemoryState()
    outcome = lifecycle.fire(state, "BankMSP", "letter_of_credit", "LC-9", "create", {"terms_hash": LC_HASH})
    assert outcome.event == {"machine": "letter_of_credit", "id": "LC-9", "action": "create", "from": "",
                             "to": "draft", "msp": "BankMSP", "args": {"terms_hash": LC_HASH}}
    assert outcome.entities[0].attrs == {"terms_hash": LC_HASH}


def test_rejection_carries_code(lifecycle: Lifecycle) -> None:
    with pytest.raises(LifecycleError) as info:
        lifecycle.fire(MemoryState(), "BankMSP", "letter_of_credit", "LC-1", "issue")
    assert info.value.code == "not_found"
    assert str(info.value) == "letter_of_credit LC-1 does not exist"


def _raw_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def test_spec_with_unknown_state_fails_closed_naming_the_path() -> None:
    raw = _raw_spec()
    raw["machines"]["payment"]["transitions"][1]["to"] = "vanished"
    with pytest.raises(SpecError, match=r"machines\.payment\.transitions\[1\]\.to: unknown state vanished"):
        parse_spec(raw, "lifecycle.json")


def test_spec_leaving_a_final_state_is_rejected() -> None:
    raw = _raw_spec()
    raw["machines"]["letter_of_credit"]["transitions"][1]["from"] = ["paid"]
    with pytest.raises(SpecError, match=r"transitions\[1\]\.from: a final state cannot be left"):
        parse_spec(raw, "lifecycle.json")


def test_spec_with_unknown_org_type_or_guard_is_rejected() -> None:
    raw = _raw_spec()
    raw["machines"]["kyc"]["transitions"][0]["org_types"] = ["regulator"]
    with pytest.raises(SpecError, match=r"machines\.kyc\.transitions\[0\]\.org_types"):
        parse_spec(raw, "x.json")
    raw = _raw_spec()
    raw["machines"]["payment"]["transitions"][1]["guards"][0]["kind"] = "always_true"
    with pytest.raises(SpecError, match=r"guards\[0\]: kind must be one of"):
        parse_spec(raw, "x.json")


def test_spec_missing_message_is_rejected() -> None:
    raw = _raw_spec()
    del raw["messages"]["forbidden_org"]
    with pytest.raises(SpecError, match=r"messages: missing \['forbidden_org'\]"):
        parse_spec(raw, "x.json")


def test_unreadable_spec_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "lifecycle.json"
    broken.write_text('{\n  "version": 1,\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"lifecycle\.json:3: not valid JSON"):
        load_spec(broken)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.json")


def test_bad_vector_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "vectors.json"
    bad.write_text(json.dumps({"vectors": [{"name": "x", "steps": [{"expect": {"maybe": 1}}]}]}), encoding="utf-8")
    with pytest.raises(SpecError, match=r"vectors\[0\]\.steps\[0\]\.expect"):
        load_vectors(bad)
