"""Pack loading: every kind of mistake is reported as file:line, all errors of a pack together."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.packs import PackError, load_packs

PACKS = Path(__file__).parent / "packs"

GOOD_RULE = """\
  - id: t.1.port
    title: Port of loading
    refs: ["UCP600 20(a)(iii)"]
    severity: discrepancy
    applies_to: bill_of_lading
    when: has(lc.port_of_loading) && has(doc.port_of_loading)
    condition: "!same_place(doc.port_of_loading, lc.port_of_loading)"
    message: "B/L {doc.port_of_loading} vs 44E {lc.port_of_loading}"
    evidence: [doc.port_of_loading, lc.port_of_loading]
    tests:
      - name: differs
        facts:
          lc: {port_of_loading: ROTTERDAM}
          doc: {port_of_loading: ANTWERP}
        expect: fire
"""


def make_pack(tmp_path: Path, rules_text: str, manifest: str = 'pack: t\nversion: "1.0.0"\n') -> Path:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "pack.yaml").write_text(manifest)
    (folder / "rules.yaml").write_text(textwrap.dedent(rules_text))
    return folder


def errors_of(folder: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(PackError) as caught:
        load_packs([folder])
    return caught.value.errors


def test_good_pack_loads_with_rules_and_versions() -> None:
    ruleset = load_packs([PACKS / "good"])
    assert [r.id for r in ruleset.rules][:2] == ["demo.20a3.port-of-loading", "demo.18b.invoice-amount"]
    assert ruleset.versions == {"demo": "1.0.0"}
    rule = ruleset.rule("demo.20a3.port-of-loading")
    assert rule.line == 3 and rule.file.endswith("transport.yaml")


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, "rules:\n  - id: t.1.x\n    refs: [a, b\n    title: x\n")
    [(file, line, message)] = errors_of(folder)
    assert file == str(folder / "rules.yaml")
    assert line == 4
    assert message.startswith("YAML error")


def test_schema_violation_points_at_the_offending_key(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("severity: discrepancy", "severity: fatal").replace(
        "    evidence:", "    colour: red\n    evidence:"
    )
    errors = errors_of(make_pack(tmp_path, "rules:\n" + text))
    by_line = {line: message for _, line, message in errors}
    assert "fatal" in by_line[5] and "severity" in by_line[5]
    assert "unknown key 'colour'" in by_line[10]


def test_manifest_schema_violation(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, "rules:\n" + GOOD_RULE, manifest="pack: t\nversion: 1.0\n")
    [(file, line, message)] = errors_of(folder)
    assert file.endswith("pack.yaml") and line == 2 and "version" in message


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, "rules:\n" + GOOD_RULE + GOOD_RULE)
    [(_, line, message)] = errors_of(folder)
    assert line == 17
    assert "duplicate rule id 't.1.port'" in message and f"{folder / 'rules.yaml'}:2" in message


def test_id_must_carry_the_pack_prefix(tmp_path: Path) -> None:
    [(_, line, message)] = errors_of(
        make_pack(tmp_path, "rules:\n" + GOOD_RULE.replace("t.1.port", "x.1.port"))
    )
    assert line == 2 and "must start with the pack id 't.'" in message


def test_unknown_fact_path_in_condition(tmp_path: Path) -> None:
    text = GOOD_RULE.replace(
        'condition: "!same_place(doc.port_of_loading', 'condition: "!same_place(doc.port_of_loadng'
    )
    [(_, line, message)] = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert line == 8
    assert "unknown fact 'doc.port_of_loadng'" in message and "port_of_loading" in message


def test_doc_is_not_in_scope_of_a_presentation_rule(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("applies_to: bill_of_lading", "applies_to: presentation").replace(
        "doc: {port_of_loading: ANTWERP}", "presentation: {files: 2}"
    )
    errors = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert {line for _, line, _ in errors} >= {7, 8, 9, 10}
    assert all("unknown variable 'doc'" in m for _, line, m in errors if line in (7, 8))


def test_unknown_function_is_caught_at_load_time(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("!same_place(", "!same_port(")
    [(_, line, message)] = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert line == 8 and "unknown function 'same_port'" in message


def test_invalid_literal_pattern_is_caught_at_load_time(tmp_path: Path) -> None:
    text = GOOD_RULE.replace(
        "when: has(lc.port_of_loading) && has(doc.port_of_loading)",
        'when: has(lc.port_of_loading) && !text_matches(lc.port_of_loading, r"\\bANY(")',
    )
    [(_, line, message)] = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert line == 7 and "text_matches: pattern" in message and "not a valid regular expression" in message


def test_cel_syntax_error(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("when: has(lc.port_of_loading) &&", "when: has(lc.port_of_loading) && &&")
    [(_, line, message)] = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert line == 7 and "CEL syntax error" in message


def test_bad_message_placeholder_and_evidence_path(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("vs 44E {lc.port_of_loading}", "vs 44E {lc.port}").replace(
        "evidence: [doc.port_of_loading, lc.port_of_loading]",
        "evidence:\n      - doc.port_of_loading\n      - lc.ports",
    )
    errors = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert [(line, "{lc.port}" in m or "'lc.ports'" in m) for _, line, m in errors] == [(9, True), (12, True)]


def test_failing_test_case_stops_the_pack(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("expect: fire", "expect: pass")
    [(_, line, message)] = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert line == 12
    assert "test 'differs': expected pass, got fire" in message


def test_todo_case_does_not_stop_the_pack(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("expect: fire", "expect: pass\n        todo: true")
    assert [r.id for r in load_packs([make_pack(tmp_path, "rules:\n" + text)]).rules] == ["t.1.port"]


def test_bad_test_fact_is_reported_at_its_line(tmp_path: Path) -> None:
    text = GOOD_RULE.replace("doc: {port_of_loading: ANTWERP}", "doc:\n            port_of_lading: ANTWERP")
    [(_, line, message)] = errors_of(make_pack(tmp_path, "rules:\n" + text))
    assert line == 16 and "unknown field 'port_of_lading'" in message


def test_yaml_11_trap_no_stays_a_string(tmp_path: Path) -> None:
    # Under YAML 1.1, NO would load as False and the string-typed fact would be rejected.
    text = GOOD_RULE.replace(
        "doc: {port_of_loading: ANTWERP}", "doc: {port_of_loading: ANTWERP, issuer: {name: X, country: NO}}"
    )
    ruleset = load_packs([make_pack(tmp_path, "rules:\n" + text)])
    assert ruleset.rule("t.1.port").tests[0].facts["doc"]["issuer"]["country"] == "NO"


def test_all_errors_of_a_pack_are_reported_together() -> None:
    with pytest.raises(PackError) as caught:
        load_packs([PACKS / "broken"])
    text = str(caught.value)
    assert f"{PACKS / 'broken' / 'rules.yaml'}:7: rule broken.1.unknown-fact" in text
    assert f"{PACKS / 'broken' / 'rules.yaml'}:14: rule broken.2.unknown-function" in text
    assert len(caught.value.errors) == 2


def test_folder_without_manifest_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stray").mkdir()
    with pytest.raises(PackError, match=r"not a rule pack: no pack\.yaml"):
        load_packs([tmp_path])


def test_default_location_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_pack(tmp_path, "rules:\n" + GOOD_RULE)
    monkeypatch.setenv("BLOCKTRADE_RULES", str(tmp_path))
    assert [r.id for r in load_packs().rules] == ["t.1.port"]
