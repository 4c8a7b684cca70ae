"""The Python enforcer of the shared lifecycle specification (chaincode/lifecycle/lifecycle.json).

The same JSON file is embedded in the Go chaincode, and both enforcers run the same test
vectors (chaincode/lifecycle/vectors.json), so the two must agree on every state, every
permission and every error text. The order of checks is part of the contract: machine,
action, caller MSP, organisation type, id, existence, from-state, arguments, guards; the
first failure is the error. Enforcement is pure: it reads through a ``LedgerState`` and
returns what to write, so the embedded ledger and tests can supply their own storage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SPEC_PATH = Path(__file__).resolve().parents[1] / "chaincode" / "lifecycle" / "lifecycle.json"
VECTORS_PATH = SPEC_PATH.with_name("vectors.json")

GUARD_KINDS = ("linked_state_in", "linked_state_not_in", "attribute_equals_argument")
FIELD_TYPES = ("string", "list", "map")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class SpecError(ValueError):
    """The lifecycle JSON itself is wrong; names the file and the JSON path."""


class LifecycleError(Exception):
    """A rejected operation. ``code`` is the key of the message in the spec; str() is the exact text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders; lists are joined with ", " (the Go side does the same)."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return str(value)

    return _PLACEHOLDER.sub(one, template)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept (matches the chaincode's encoding of maps)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class ArgSpec:
    name: str
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    link: str | None = None  # machine whose entity this argument names
    optional: bool = False


@dataclass(frozen=True)
class Guard:
    kind: str
    message: str
    link: str = ""
    states: tuple[str, ...] = ()
    attribute: str = ""
    argument: str = ""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]  # empty: the action creates the entity
    target: str | None
    target_argument: str | None
    org_types: tuple[str, ...]
    args: dict[str, ArgSpec]
    record: tuple[str, ...]
    guards: tuple[Guard, ...]
    internal: bool = False  # fired only by recording an examination, never directly

    @property
    def creates(self) -> bool:
        return not self.sources


@dataclass(frozen=True)
class Machine:
    name: str
    states: tuple[str, ...]
    final: tuple[str, ...]
    transitions: dict[str, Transition]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    pattern: re.Pattern[str]
    key_pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class RecordSpec:
    org_types: tuple[str, ...]
    lc_action: str
    fields: dict[str, FieldSpec]
    decision_org_types: tuple[str, ...]
    decision_fields: dict[str, FieldSpec]


@dataclass(frozen=True)
class LifecycleSpec:
    version: str
    organisations: dict[str, str]
    id_pattern: re.Pattern[str]
    messages: dict[str, str]
    machines: dict[str, Machine]
    examination: RecordSpec
    source: str = ""

    def message(self, code: str, **values: Any) -> LifecycleError:
        return LifecycleError(code, render(self.messages[code], values))


def _require(cond: bool, where: str, problem: str) -> None:
    if not cond:
        raise SpecError(f"{where}: {problem}")


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    _require(isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$"), where,
             "pattern must be a string anchored with ^ and $")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SpecError(f"{where}: bad pattern: {exc}") from None


def _fields(raw: Any, where: str) -> dict[str, FieldSpec]:
    _require(isinstance(raw, dict) and bool(raw), where, "must be a non-empty object")
    out: dict[str, FieldSpec] = {}
    for name, fs in raw.items():
        w = f"{where}.{name}"
        _require(isinstance(fs, dict) and fs.get("type") in FIELD_TYPES, w, f"type must be one of {FIELD_TYPES}")
        key = _compile(fs["key_pattern"], f"{w}.key_pattern") if fs["type"] == "map" else None
        out[name] = FieldSpec(name, fs["type"], _compile(fs.get("pattern"), f"{w}.pattern"), key)
    return out


def parse_spec(data: Any, source: str = "<lifecycle>") -> LifecycleSpec:
    """Validate the raw JSON and build the spec; any inconsistency is a SpecError naming the path."""
    where = source
    _require(isinstance(data, dict), where, "top level must be an object")
    orgs = data.get("organisations")
    _require(isinstance(orgs, dict) and bool(orgs), f"{where}: organisations", "must be a non-empty object")
    org_types = set(orgs.values())
    messages = data.get("messages")
    _require(isinstance(messages, dict), f"{where}: messages", "must be an object")
    id_pattern = _compile(data.get("id_pattern"), f"{where}: id_pattern")
    machines: dict[str, Machine] = {}
    raw_machines = data.get("machines")
    _require(isinstance(raw_machines, dict) and bool(raw_machines), f"{where}: machines", "must be a non-empty object")
    for mname, m in raw_machines.items():
        mw = f"{where}: machines.{mname}"
        states = tuple(m.get("states", ()))
        _require(len(states) == len(set(states)) and bool(states), mw, "states must be a non-empty list without repeats")
        final = tuple(m.get("final", ()))
        _require(set(final) <= set(states), f"{mw}.final", "names a state not in states")
        transitions: dict[str, Transition] = {}
        for i, t in enumerate(m.get("transitions", ())):
            tw = f"{mw}.transitions[{i}]"
            action = t.get("action")
            _require(isinstance(action, str) and action not in transitions, tw, "action must be a unique string")
            sources = tuple(t.get("from", ()))
            _require(set(sources) <= set(states), f"{tw}.from", "names a state not in states")
            _require(not set(sources) & set(final), f"{tw}.from", "a final state cannot be left")
            ots = tuple(t.get("org_types", ()))
            _require(bool(ots) and set(ots) <= org_types, f"{tw}.org_types", f"must be a non-empty subset of {sorted(org_types)}")
            args: dict[str, ArgSpec] = {}
            for aname, a in (t.get("args") or {}).items():
                aw = f"{tw}.args.{aname}"
                kinds = [k for k in ("pattern", "choices", "link") if k in a]
                _require(len(kinds) == 1, aw, "needs exactly one of pattern, choices, link")
                link = a.get("link")
                _require(link is None or link in raw_machines, f"{aw}.link", f"unknown machine {link}")
                args[aname] = ArgSpec(
                    name=aname,
                    pattern=_compile(a["pattern"], f"{aw}.pattern") if "pattern" in a else None,
                    choices=tuple(a.get("choices", ())),
                    link=link,
                    optional=bool(a.get("optional", False)),
                )
            target = t.get("to")
            target_arg = t.get("to_by_argument")
            _require((target is None) != (target_arg is None), tw, "needs exactly one of to, to_by_argument")
            if target is not None:
                _require(target in states, f"{tw}.to", f"unknown state {target}")
            else:
                spec_arg = args.get(target_arg)
                _require(spec_arg is not None and bool(spec_arg.choices) and set(spec_arg.choices) <= set(states),
                         f"{tw}.to_by_argument", "must name an argument whose choices are states")
            record = tuple(t.get("record", ()))
            _require(set(record) <= set(args), f"{tw}.record", "may only record declared arguments")
            guards: list[Guard] = []
            for j, g in enumerate(t.get("guards", ())):
                gw = f"{tw}.guards[{j}]"
                kind = g.get("kind")
                _require(kind in GUARD_KINDS, gw, f"kind must be one of {GUARD_KINDS}")
                _require(isinstance(g.get("message"), str), gw, "needs a message")
                guards.append(Guard(kind=kind, message=g["message"], link=g.get("link", ""),
                                    states=tuple(g.get("states", ())), attribute=g.get("attribute", ""),
                                    argument=g.get("argument", "")))
            transitions[action] = Transition(action, sources, target, target_arg, ots, args, record, tuple(guards),
                                             bool(t.get("internal", False)))
        _require(any(t.creates for t in transitions.values()), mw, "no transition creates the entity")
        machines[mname] = Machine(mname, states, final, transitions)
    # guards that follow links need the link's machine, known only once all machines are read
    for mname, m in machines.items():
        for t in m.transitions.values():
            for g in t.guards:
                if g.kind.startswith("linked_"):
                    creator = next(x for x in m.transitions.values() if x.creates)
                    link_arg = creator.args.get(g.link) or t.args.get(g.link)
                    _require(link_arg is not None and link_arg.link is not None,
                             f"{where}: machines.{mname} {t.action}", f"guard link {g.link} is not a link argument")
                    _require(set(g.states) <= set(machines[link_arg.link].states),
                             f"{where}: machines.{mname} {t.action}", "guard names an unknown state")
    ex = data.get("examination_record")
    _require(isinstance(ex, dict), f"{where}: examination_record", "must be an object")
    lc_action = ex.get("lc_action", "")
    _require(lc_action in machines.get("letter_of_credit", Machine("", (), (), {})).transitions,
             f"{where}: examination_record.lc_action", "must be a letter_of_credit action")
    decision = ex.get("decision") or {}
    examination = RecordSpec(
        org_types=tuple(ex.get("org_types", ())),
        lc_action=lc_action,
        fields=_fields(ex.get("fields"), f"{where}: examination_record.fields"),
        decision_org_types=tuple(decision.get("org_types", ())),
        decision_fields=_fields(decision.get("fields"), f"{where}: examination_record.decision.fields"),
    )
    needed = {
        "unknown_machine", "unknown_action", "unknown_msp", "forbidden_org", "bad_id", "already_exists",
        "not_found", "bad_transition", "unknown_argument", "missing_argument", "bad_argument", "bad_choice",
        "linked_not_found", "internal_action",
    }
    for prefix in ("record", "decision"):
        needed |= {f"{prefix}_not_object", f"{prefix}_field_missing", f"{prefix}_field_unknown",
                   f"{prefix}_field_invalid", f"{prefix}_field_type"}
    needed |= {"record_field_empty", "record_conflict", "record_not_found", "decision_duplicate"}
    missing = sorted(needed - set(messages))
    _require(not missing, f"{where}: messages", f"missing {missing}")
    return LifecycleSpec(str(data.get("version", "")), dict(orgs), id_pattern, dict(messages), machines,
                         examination, source)


def load_spec(path: Path = SPEC_PATH) -> LifecycleSpec:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    return parse_spec(data, str(path))


# --------------------------------------------------------------------------- state


@dataclass
class Entity:
    machine: str
    id: str
    state: str
    attrs: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"machine": self.machine, "id": self.id, "state": self.state, "attrs": dict(self.attrs)}


class LedgerState(Protocol):
    """Where the enforcer reads what already exists. The caller writes the results."""

    def get_entity(self, machine: str, entity_id: str) -> Entity | None: ...

    def get_record(self, presentation_id: str) -> dict[str, Any] | None: ...


@dataclass
class Outcome:
    """What one accepted operation changes: entities and records to write, and the event to emit."""

    entities: list[Entity] = field(default_factory=list)
    record: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    unchanged: bool = False  # an identical replay: nothing to write, nothing to emit


@dataclass
class MemoryState:
    """In-memory ledger state for tests and vectors."""

    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get_entity(self, machine: str, entity_id: str) -> Entity | None:
        found = self.entities.get((machine, entity_id))
        return Entity(found.machine, found.id, found.state, dict(found.attrs)) if found else None

    def get_record(self, presentation_id: str) -> dict[str, Any] | None:
        found = self.records.get(presentation_id)
        return json.loads(canonical_json(found)) if found is not None else None

    def apply(self, outcome: Outcome) -> None:
        for entity in outcome.entities:
            self.entities[(entity.machine, entity.id)] = entity
        if outcome.record is not None:
            self.records[outcome.record["presentation_id"]] = outcome.record


# --------------------------------------------------------------------------- the enforcer


class Lifecycle:
    """Enforces the spec. Every method raises LifecycleError with the spec's exact text."""

    def __init__(self, spec: LifecycleSpec | None = None) -> None:
        self.spec = spec or load_spec()

    def org_type(self, msp: str) -> str:
        org = self.spec.organisations.get(msp)
        if org is None:
            raise self.spec.message("unknown_msp", msp=msp)
        return org

    def _authorise(self, msp: str, org_types: tuple[str, ...], action: str, machine: str, entity_id: str) -> None:
        org = self.org_type(msp)
        if org not in org_types:
            raise self.spec.message("forbidden_org", msp=msp, org_type=org, action=action, machine=machine,
                                    id=entity_id)

    def fire(self, state: LedgerState, msp: str, machine: str, entity_id: str, action: str,
             args: Mapping[str, str] | None = None, *, internal: bool = False) -> Outcome:
        """Fire one transition. ``internal`` is set only by record_examination."""
        spec = self.spec
        args = dict(args or {})
        m = spec.machines.get(machine)
        if m is None:
            raise spec.message("unknown_machine", machine=machine)
        t = m.transitions.get(action)
        if t is None:
            raise spec.message("unknown_action", action=action, machine=machine)
        if t.internal and not internal:
            raise spec.message("internal_action", action=action, machine=machine)
        self._authorise(msp, t.org_types, action, machine, entity_id)
        if not spec.id_pattern.fullmatch(entity_id):
            raise spec.message("bad_id", id=entity_id, pattern=spec.id_pattern.pattern)
        current = state.get_entity(machine, entity_id)
        if t.creates and current is not None:
            raise spec.message("already_exists", machine=machine, id=entity_id)
        if not t.creates:
            if current is None:
                raise spec.message("not_found", machine=machine, id=entity_id)
            if current.state not in t.sources:
                raise spec.message("bad_transition", machine=machine, id=entity_id, action=action,
                                   state=current.state)
        self._check_args(state, t, machine, args)
        entity = current or Entity(machine, entity_id, "")
        for guard in t.guards:
            self._check_guard(state, guard, t, entity, args)
        source = entity.state
        target = t.target if t.target is not None else args[t.target_argument or ""]
        attrs = dict(entity.attrs)
        for name in t.record:
            if name in args:
                attrs[name] = args[name]
        new = Entity(machine, entity_id, target, attrs)
        event = {"machine": machine, "id": entity_id, "action": action, "from": source, "to": target,
                 "msp": msp, "args": dict(sorted(args.items()))}
        return Outcome(entities=[new], event=event)

    def _check_args(self, state: LedgerState, t: Transition, machine: str, args: Mapping[str, str]) -> None:
        spec = self.spec
        for name in sorted(args):
            if name not in t.args:
                raise spec.message("unknown_argument", action=t.action, machine=machine, arg=name)
        for name in sorted(t.args):
            a = t.args[name]
            value = args.get(name)
            if value is None:
                if a.optional:
                    continue
                raise spec.message("missing_argument", action=t.action, machine=machine, arg=name)
            if not isinstance(value, str):
                raise spec.message("bad_argument", arg=name, action=t.action, value=value, pattern="a string")
            if a.choices and value not in a.choices:
                raise spec.message("bad_choice", arg=name, action=t.action, value=value, choices=list(a.choices))
            pattern = a.pattern or (spec.id_pattern if a.link else None)
            if pattern is not None and not pattern.fullmatch(value):
                raise spec.message("bad_argument", arg=name, action=t.action, value=value, pattern=pattern.pattern)
            if a.link and state.get_entity(a.link, value) is None:
                raise spec.message("linked_not_found", link_machine=a.link, link_id=value, arg=name)

    def _link_machine(self, machine: str, link: str) -> str:
        for t in self.spec.machines[machine].transitions.values():
            if link in t.args and t.args[link].link:
                return t.args[link].link or ""
        return ""

    def _check_guard(self, state: LedgerState, guard: Guard, t: Transition, entity: Entity,
                     args: Mapping[str, str]) -> None:
        values: dict[str, Any] = {"id": entity.id, "machine": entity.machine, "action": t.action}
        if guard.kind == "attribute_equals_argument":
            expected = entity.attrs.get(guard.attribute, "")
            value = args.get(guard.argument, "")
            if expected != value:
                raise LifecycleError("guard", render(guard.message, {**values, "value": value, "expected": expected}))
            return
        link_id = args.get(guard.link) or entity.attrs.get(guard.link, "")
        link_machine = self._link_machine(entity.machine, guard.link)
        linked = state.get_entity(link_machine, link_id)
        link_state = linked.state if linked else ""
        values |= {"link_id": link_id, "link_state": link_state, "link_machine": link_machine}
        if linked is None:
            raise self.spec.message("linked_not_found", link_machine=link_machine, link_id=link_id, arg=guard.link)
        inside = link_state in guard.states
        if (guard.kind == "linked_state_in") != inside:
            raise LifecycleError("guard", render(guard.message, values))

    # ----------------------------------------------------------------- examination records

    def _validate_fields(self, prefix: str, raw: Any, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        spec = self.spec
        if not isinstance(raw, dict):
            raise spec.message(f"{prefix}_not_object")
        for name in sorted(raw):
            if name not in fields:
                raise spec.message(f"{prefix}_field_unknown", field=name)
        for name in sorted(fields):
            fs = fields[name]
            if name not in raw:
                raise spec.message(f"{prefix}_field_missing", field=name)
            value = raw[name]
            if fs.type == "string":
                if not isinstance(value, str):
                    raise spec.message(f"{prefix}_field_type", field=name, type=fs.type)
                items: list[str] = [value]
            elif fs.type == "list":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise spec.message(f"{prefix}_field_type", field=name, type=fs.type)
                items = list(value)
            else:
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise spec.message(f"{prefix}_field_type", field=name, type=fs.type)
                for key in sorted(value):
                    if fs.key_pattern is not None and not fs.key_pattern.fullmatch(key):
                        raise spec.message(f"{prefix}_field_invalid", field=name, value=key,
                                           pattern=fs.key_pattern.pattern)
                items = [value[k] for k in sorted(value)]
            if fs.type != "string" and not items:
                raise spec.message("record_field_empty", field=name)
            for item in items:
                if not fs.pattern.fullmatch(item):
                    raise spec.message(f"{prefix}_field_invalid", field=name, value=item, pattern=fs.pattern.pattern)
        return dict(raw)

    def record_examination(self, state: LedgerState, msp: str, record: Any) -> Outcome:
        """Validate and record an examination; an identical replay is a no-op, a different one a conflict."""
        spec = self.spec
        ex = spec.examination
        presentation_id = record.get("presentation_id") if isinstance(record, dict) else None
        if not isinstance(record, dict):
            raise spec.message("record_not_object")
        self._authorise(msp, ex.org_types, "record", "examination",
                        presentation_id if isinstance(presentation_id, str) else "")
        clean = self._validate_fields("record", record, ex.fields)
        clean["document_hashes"] = sorted(clean["document_hashes"])
        existing = state.get_record(clean["presentation_id"])
        if existing is not None:
            stored = {k: existing[k] for k in ex.fields}
            if canonical_json(stored) == canonical_json(clean):
                return Outcome(unchanged=True)
            raise spec.message("record_conflict", id=clean["presentation_id"])
        fired = self.fire(state, msp, "letter_of_credit", clean["lc_id"], ex.lc_action,
                          {"outcome": clean["outcome"], "presentation_id": clean["presentation_id"]}, internal=True)
        stored_record = {**clean, "decisions": []}
        event = {"kind": "examination_recorded", "presentation_id": clean["presentation_id"],
                 "lc_id": clean["lc_id"], "outcome": clean["outcome"], "lc_state": fired.entities[0].state,
                 "msp": msp}
        return Outcome(entities=fired.entities, record=stored_record, event=event)

    def decide(self, state: LedgerState, msp: str, presentation_id: str, decision: Any) -> Outcome:
        """Append a reviewer decision (waive/confirm) on one finding, by hash; replays are no-ops."""
        spec = self.spec
        ex = spec.examination
        self._authorise(msp, ex.decision_org_types, "decide", "examination", presentation_id)
        existing = state.get_record(presentation_id)
        if existing is None:
            raise spec.message("record_not_found", id=presentation_id)
        clean = self._validate_fields("decision", decision, ex.decision_fields)
        for prior in existing.get("decisions", []):
            if prior["finding_hash"] == clean["finding_hash"]:
                if canonical_json(prior) == canonical_json(clean):
                    return Outcome(unchanged=True)
                raise spec.message("decision_duplicate", finding_hash=clean["finding_hash"], id=presentation_id)
        updated = {**existing, "decisions": [*existing.get("decisions", []), clean]}
        event = {"kind": "decision_recorded", "presentation_id": presentation_id,
                 "finding_hash": clean["finding_hash"], "decision": clean["decision"], "msp": msp}
        return Outcome(record=updated, event=event)


# --------------------------------------------------------------------------- vectors


def run_step(lifecycle: Lifecycle, state: MemoryState, step: Mapping[str, Any]) -> tuple[str, str]:
    """Run one vector step; returns ("ok", resulting state or "unchanged") or ("error", exact text)."""
    try:
        if "record_examination" in step:
            outcome = lifecycle.record_examination(state, step["msp"], step["record_examination"])
            result = "unchanged" if outcome.unchanged else outcome.entities[0].state
        elif "decide" in step:
            outcome = lifecycle.decide(state, step["msp"], step["decide"]["presentation_id"],
                                       step["decide"]["decision"])
            result = "unchanged" if outcome.unchanged else "decided"
        else:
            outcome = lifecycle.fire(state, step["msp"], step["machine"], step["id"], step["action"],
                                     step.get("args"))
            result = outcome.entities[0].state
    except LifecycleError as exc:
        return "error", exc.message
    state.apply(outcome)
    return "ok", result


def load_vectors(path: Path = VECTORS_PATH) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    vectors = data.get("vectors") if isinstance(data, dict) else None
    if not isinstance(vectors, list) or not vectors:
        raise SpecError(f"{path}: vectors must be a non-empty list")
    for i, v in enumerate(vectors):
        if not isinstance(v, dict) or not isinstance(v.get("name"), str) or not isinstance(v.get("steps"), list):
            raise SpecError(f"{path}: vectors[{i}] needs a name and a list of steps")
        for j, s in enumerate(v["steps"]):
            expect = s.get("expect") if isinstance(s, dict) else None
            if not isinstance(expect, dict) or len(expect) != 1 or next(iter(expect)) not in ("state", "error"):
                raise SpecError(f"{path}: vectors[{i}].steps[{j}].expect must be {{state: ...}} or {{error: ...}}")
    return vectors
