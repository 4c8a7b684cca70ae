"""Rule packs: loading (YAML 1.2, line numbers kept), schema and semantic validation, compiling.

A pack is a folder with ``pack.yaml`` and rule files ``*.yaml`` (docs/rules.md). Loading fails
closed: every problem of a pack is collected and raised together as one ``PackError`` whose lines
read ``file:line: message`` (the line of the rule, or of the offending key). A pack whose rule
test cases fail does not load either (except cases marked ``todo: true``).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

import engine
from engine.cel_runtime import BUILTIN_FUNCTIONS, CelSyntaxError, Program, compile_expression
from engine.facts import DOC_TYPES, FactType, resolve_type, scope_for, split_path
from engine.functions import FUNCTIONS, compiled_pattern

SCHEMA_FOLDER = "schema"
MANIFEST = "pack.yaml"
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
CEL_WORDS = frozenset({"true", "false", "null", "in", "has"})


class PackError(Exception):
    """One or more problems with rule packs; ``errors`` holds (file, line, message) triples."""

    def __init__(self, errors: list[tuple[str, int, str]]):
        self.errors = errors
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{file}:{line}: {message}" for file, line, message in self.errors)


@dataclass
class RuleTest:
    name: str
    facts: dict[str, Any]  # plain YAML values; converted per run with the catalogue
    expect: str  # fire | pass | skip
    todo: bool
    file: str
    line: int
    facts_node: Any = None  # the YAML node, to point at a bad fact's line


@dataclass
class Rule:
    id: str
    title: str
    refs: list[str]
    severity: str
    hold: bool
    applies_to: str
    condition: Program
    message: str
    evidence: list[str]
    pack: str
    file: str
    line: int
    when: Program | None = None
    for_each: Program | None = None
    for_each_path: str | None = None  # when for_each is a plain fact path (items get provenance)
    item_type: FactType | None = None
    status: str = "stable"
    false_positives: list[str] = field(default_factory=list)
    tests: list[RuleTest] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # fact paths the expressions name (for explain)
    # The same expressions as executed on a presentation: `doc`/`item` read by index (see _runtime_program)
    fast: dict[str, Program] = field(default_factory=dict)
    # for_each of the form `docs.a + docs.b + ...`: the document types in order, and per type the
    # `when`/`condition` programs reading `item` as `docs.<type>[bt_item_index]`. The engine walks
    # the documents itself, so the list is never concatenated in CEL and each item keeps its path.
    for_each_types: list[str] = field(default_factory=list)
    fast_by_type: dict[str, dict[str, Program]] = field(default_factory=dict)


@dataclass
class Pack:
    id: str
    version: str
    title: str
    description: str
    path: Path
    rules: list[Rule] = field(default_factory=list)
    screening: Any = None  # ScreeningSettings when pack.yaml has `screening:` (the AML pack)


@dataclass
class RuleSet:
    packs: list[Pack]
    # Which top-level fields of `lc` and of each document type any rule reads (None: all of them).
    # Converting values into CEL is the dominant cost, so only these are handed to the runtime.
    fields_used: dict[str, set[str] | None] = field(default_factory=dict)

    @property
    def rules(self) -> list[Rule]:
        return [rule for pack in self.packs for rule in pack.rules]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no rule {rule_id!r} in the loaded packs ({', '.join(p.id for p in self.packs)})")

    @property
    def versions(self) -> dict[str, str]:
        return {pack.id: pack.version for pack in self.packs}

    @property
    def screening(self) -> Any:
        """The screening settings of the loaded packs (the strictest thresholds when several
        packs screen), or None when no loaded pack screens."""
        settings = [pack.screening for pack in self.packs if pack.screening is not None]
        if not settings:
            return None
        strictest = min(settings, key=lambda s: (s.hold_threshold, s.review_threshold))
        return strictest


# --------------------------------------------------------------------------- locating packs


def rules_root() -> Path:
    """$BLOCKTRADE_RULES, else the repository's rules/ folder."""
    env = os.environ.get("BLOCKTRADE_RULES")
    return Path(env) if env else Path(engine.__file__).resolve().parents[1] / "rules"


def schema_path() -> Path:
    return Path(engine.__file__).resolve().parents[1] / "rules" / SCHEMA_FOLDER / "rule-pack.schema.json"


def pack_folders(paths: list[Path] | None) -> list[Path]:
    """Pack folders for the given paths: a pack folder, a rules root holding packs, or a rule file."""
    if not paths:
        paths = [rules_root()]
    folders: list[Path] = []
    errors: list[tuple[str, int, str]] = []
    for path in paths:
        if path.is_file():
            folder = path.parent
            if not (folder / MANIFEST).is_file():
                errors.append((str(path), 1, f"not inside a rule pack: no {MANIFEST} in {folder}"))
                continue
            folders.append(folder)
        elif (path / MANIFEST).is_file():
            folders.append(path)
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if p.is_dir() and p.name != SCHEMA_FOLDER)
            children = [p for p in children if not p.name.startswith((".", "_"))]
            if not children:
                errors.append((str(path), 1, f"no rule packs here (a pack is a folder with {MANIFEST})"))
            for child in children:
                if (child / MANIFEST).is_file():
                    folders.append(child)
                else:
                    errors.append((str(child), 1, f"not a rule pack: no {MANIFEST}"))
        else:
            errors.append((str(path), 1, "no such file or folder"))
    if errors:
        raise PackError(errors)
    seen: list[Path] = []
    for folder in folders:
        if folder.resolve() not in [s.resolve() for s in seen]:
            seen.append(folder)
    return seen


# --------------------------------------------------------------------------- YAML + schema


@cache
def _schema() -> dict[str, Any]:
    return json.loads(schema_path().read_text(encoding="utf-8"))


def _validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = dict(_schema())
    schema["$ref"] = f"#/$defs/{definition}"
    for key in ("if", "then", "else"):
        schema.pop(key, None)
    return jsonschema.Draft202012Validator(schema)


def _plain(node: Any) -> Any:
    """ruamel round-trip values -> plain JSON-like Python (dates kept as dates)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _jsonable(value: Any) -> Any:
    """For the schema check only: dates become strings (the schema allows dates in test facts)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def line_of(node: Any, keys: Iterable[str | int]) -> int:
    """1-based line of the value at ``keys`` under ``node`` (of its key, for a mapping entry)."""
    line = (node.lc.line + 1) if hasattr(node, "lc") else 1
    current = node
    for key in keys:
        if isinstance(current, CommentedMap) and key in current:
            line = current.lc.key(key)[0] + 1
            current = current[key]
        elif isinstance(current, CommentedSeq) and isinstance(key, int) and 0 <= key < len(current):
            line = current.lc.item(key)[0] + 1
            current = current[key]
        else:
            break
    return line


def _read_yaml(path: Path, errors: list[tuple[str, int, str]]) -> Any:
    yaml = YAML(typ="rt")  # round-trip: YAML 1.2 resolution ("NO" stays a string) and line numbers
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        errors.append((str(path), 1, f"cannot read: {err}"))
        return None
    try:
        return yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(err.problem or err.context or "invalid YAML").split())
        errors.append((str(path), line, f"YAML error: {problem}"))
    except Exception as err:  # ruamel raises a few unmarked errors (e.g. bad tags)
        errors.append((str(path), 1, f"YAML error: {err}"))
    return None


def _schema_errors(validator: jsonschema.Draft202012Validator, node: Any, file: str) -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    instance = _jsonable(_plain(node))
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        keys = list(error.absolute_path)
        where = ".".join(str(k) for k in keys) or "(top level)"
        message = error.message
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            unexpected = [k for k in error.instance if k not in allowed]
            if unexpected:
                keys = [*keys, unexpected[0]]
                message = f"unknown key {unexpected[0]!r} (allowed: {', '.join(sorted(allowed))})"
        found.append((file, line_of(node, keys), f"{where}: {message}"))
    return found


# --------------------------------------------------------------------------- expression analysis

_STRING_LITERAL = re.compile(r'[rRbB]?("""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\')')
_PATH = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*|\s*\[\s*[^\[\]]*\])*)")
_STEP = re.compile(r"\s*\.\s*([A-Za-z_]\w*)|\s*\[\s*([^\[\]]*)\]")


def _blank_strings(source: str) -> str:
    """The expression with string literal contents blanked, so paths are not read inside quotes."""
    return _STRING_LITERAL.sub(lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', source)


@dataclass
class PathUse:
    path: str  # normalised: "docs.bill_of_lading[0].vessel"
    head: str
    steps: list[str | int | None]  # None: a computed index
    macro: str | None  # a macro/method called on this path ("exists", "startsWith", ...)
    bound: str | None  # the variable a macro binds


def path_uses(source: str) -> list[PathUse]:
    """Every identifier path in an expression, in order, with the macro called on it if any."""
    text = _blank_strings(source)
    uses: list[PathUse] = []
    for match in _PATH.finditer(text):
        head = match.group(1)
        steps: list[str | int | None] = []
        for step in _STEP.finditer(match.group(2)):
            if step.group(1) is not None:
                steps.append(step.group(1))
            else:
                index = step.group(2).strip()
                steps.append(int(index) if index.isdigit() else None)
        after = text[match.end() :].lstrip()
        macro = bound = None
        if after.startswith("("):
            if not steps:  # a global function call: name(...)
                continue
            called = steps.pop()
            macro = called if isinstance(called, str) else None
            if macro in MACROS:
                inner = re.match(r"\(\s*([A-Za-z_]\w*)\s*,", after)
                bound = inner.group(1) if inner else None
        path = head + "".join(
            f".{s}" if isinstance(s, str) else f"[{s if s is not None else 0}]" for s in steps
        )
        uses.append(PathUse(path, head, steps, macro, bound))
    return uses


@dataclass
class Analysis:
    errors: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    fields: list[tuple[str, str | None]] = field(default_factory=list)  # (root, field or None = all)
    unsure: bool = False  # item fields read when the item's origin is unknown: no pruning


def analyse(
    program: Program,
    scope: dict[str, FactType],
    item_origin: str | None,
    analysis: Analysis,
) -> None:
    """Check the functions and fact paths an expression uses; note which fields it reads."""
    for name in sorted(program.functions):
        if name not in BUILTIN_FUNCTIONS and name not in FUNCTIONS:
            analysis.errors.append(
                f"unknown function {name!r} (ours: {', '.join(sorted(FUNCTIONS))}; or a CEL builtin)"
            )
    analysis.errors.extend(literal_pattern_errors(program.source))
    local: dict[str, FactType] = {}
    origins: dict[str, str | None] = {"item": item_origin}
    for use in path_uses(program.source):
        if use.head in CEL_WORDS:
            continue
        if use.head in local:
            variable_type = local[use.head]
        elif use.head in scope:
            variable_type = scope[use.head]
        else:
            continue  # reported below from the runtime's own variable list
        try:
            found, known_steps, computed_key = _resolve_steps(use.head, variable_type, use.steps)
        except KeyError as err:
            analysis.errors.append(str(err.args[0]))
            continue
        path = _path_text(use.head, known_steps)
        if use.head in scope and use.head not in local and path not in analysis.paths:
            analysis.paths.append(path)
        root, first_field = _field_reference(use.head, known_steps, scope, origins, computed_key)
        if root == "?":
            analysis.unsure = True
        elif root is not None:
            analysis.fields.append((root, first_field))
        if use.bound:
            element = found.element if found.kind == "list" and found.element is not None else FactType("dyn")
            if found.kind == "map":
                element = FactType("string")  # macros over a map iterate its keys
            local[use.bound] = element
            origins[use.bound] = "doc:*" if computed_key and use.head == "docs" else _origin_of(
                use.head, known_steps, origins
            )
    bound_names = set(_MACRO_BINDING.findall(_blank_strings(program.source)))
    for name in bound_names - set(local):  # macros on literals or (a + b): elements unchecked
        local[name] = FactType("dyn")
    for name in sorted(program.variables - set(scope) - bound_names - CEL_WORDS):
        analysis.errors.append(f"unknown variable {name!r} (in scope: {', '.join(sorted(scope))})")


_PATTERN_CALL = re.compile(r"(?<![\w.])text_matches\s*\(")


def literal_pattern_errors(source: str) -> list[str]:
    """Invalid regular expressions written literally as text_matches()'s pattern.

    Caught when the pack loads, with the rule's line, rather than as a rule error on the first
    presentation that reaches the call. Patterns built at evaluation time are checked then.
    """
    blanked = _blank_strings(source)
    problems: list[str] = []
    for call in _PATTERN_CALL.finditer(blanked):
        depth, position = 0, call.end()
        while position < len(blanked) and not (blanked[position] == "," and depth == 0):
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(blanked[position], 0)
            if depth < 0:
                break
            position += 1
        start = position + 1
        while start < len(source) and source[start].isspace():
            start += 1
        literal = _STRING_LITERAL.match(source, start)
        if position >= len(blanked) or depth < 0 or literal is None:
            continue
        if not blanked[literal.end() :].lstrip().startswith(")"):
            continue  # the pattern is an expression ("a" + b): checked when it is evaluated
        try:
            pattern = ast.literal_eval(literal.group(0))
        except (ValueError, SyntaxError):
            continue
        try:
            compiled_pattern(pattern)
        except TypeError as err:
            problems.append(f"text_matches: {err}")
    return problems


_MACRO_BINDING = re.compile(r"\.\s*(?:all|exists_one|exists|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


def _path_text(head: str, steps: list[str | int]) -> str:
    return head + "".join(f".{s}" if isinstance(s, str) else f"[{s}]" for s in steps)


def _resolve_steps(
    head: str, variable_type: FactType, steps: list[str | int | None]
) -> tuple[FactType, list[str | int], bool]:
    """(type, checked steps, stopped at a computed map key) of a path; KeyError if it does not exist.

    A computed index on a list stands for any element; a computed key on a map (``docs[t]``)
    makes the rest of the path unchecked (``dyn``).
    """
    known: list[str | int] = []
    current = variable_type
    for step in steps:
        if step is None:
            if current.kind == "list":
                step = 0
            else:
                return FactType("dyn"), known, True
        known.append(step)
        current = resolve_type({head: variable_type}, _path_text(head, known))
    return current, known, False


def _origin_of(head: str, steps: list[str | int], origins: dict[str, str | None]) -> str | None:
    """Which document type a list's elements are ("doc:bill_of_lading"), when known."""
    if head == "docs" and len(steps) == 1 and isinstance(steps[0], str):
        return f"doc:{steps[0]}"
    if head in origins:
        return "?"
    return None


def _field_reference(
    head: str,
    steps: list[str | int],
    scope: dict[str, FactType],
    origins: dict[str, str | None],
    computed_key: bool = False,
) -> tuple[str | None, str | None]:
    """(root, first field) a path reads: ("lc", "amount"), ("doc:draft", "tenor"); field None = all."""
    if computed_key and not (head == "docs" and not steps):
        # x[key] with a computed key: every field of that root may be read
        if head in ("lc", "doc") or (head == "docs" and steps):
            return _field_reference(head, steps[:1] if head == "docs" else [], scope, origins)[0], None
        origin = origins.get(head)
        return (origin, None) if origin else (None, None)
    if head == "docs" and computed_key:
        return None, None  # docs[t]: fields come from what is read on the elements
    if head == "lc":
        return "lc", steps[0] if steps and isinstance(steps[0], str) else None
    if head == "doc":
        doc_type = next((t for t, v in DOC_TYPES.items() if scope.get("doc") is v), None)
        return f"doc:{doc_type}", steps[0] if steps and isinstance(steps[0], str) else None
    if head == "docs":
        if not steps:
            return "docs", None
        doc_type = steps[0]
        rest = [s for s in steps[1:] if isinstance(s, str)]
        if len(steps) == 1:
            return None, None  # the list itself (size, a macro): fields come from the macro variable
        return f"doc:{doc_type}", rest[0] if rest else None
    if head in origins:
        origin = origins[head]
        if origin is None:
            return None, None  # elements of an lc list: the whole lc field is kept already
        if origin == "?":
            return "?", None
        return origin, steps[0] if steps and isinstance(steps[0], str) else None
    return None, None


# --------------------------------------------------------------------------- loading


def load_packs(paths: list[Path] | None = None, *, run_tests: bool = True) -> RuleSet:
    """Load, validate and compile rule packs; ``PackError`` lists every problem with file:line.

    ``paths``: pack folders (or a rules root holding packs, or a rule file of a pack); default:
    every pack under $BLOCKTRADE_RULES or the repository's rules/ folder.
    """
    errors: list[tuple[str, int, str]] = []
    packs: list[Pack] = []
    try:
        folders = pack_folders(paths)
    except PackError as err:
        raise PackError(err.errors) from None
    for folder in folders:
        pack = _load_pack(folder, errors)
        if pack is not None:
            packs.append(pack)
    seen_packs: dict[str, Pack] = {}
    seen_rules: dict[str, Rule] = {}
    for pack in packs:
        if pack.id in seen_packs:
            errors.append((str(pack.path / MANIFEST), 1, f"pack {pack.id!r} is also loaded from {seen_packs[pack.id].path}"))
        seen_packs[pack.id] = pack
        for rule in pack.rules:
            if rule.id in seen_rules:
                first = seen_rules[rule.id]
                errors.append((rule.file, rule.line, f"duplicate rule id {rule.id!r} (first at {first.file}:{first.line})"))
            else:
                seen_rules[rule.id] = rule
    if errors:
        raise PackError(errors)
    ruleset = RuleSet(packs=packs)
    ruleset.fields_used = _fields_used(ruleset)
    if run_tests:
        from engine.rule_tests import run_rule_tests

        failures = [r for r in run_rule_tests(ruleset) if not r.passed and not r.todo]
        if failures:
            raise PackError([(r.file, r.line, f"rule {r.rule}: test {r.name!r}: {r.detail}") for r in failures])
    return ruleset


def _load_pack(folder: Path, errors: list[tuple[str, int, str]]) -> Pack | None:
    manifest_file = folder / MANIFEST
    manifest = _read_yaml(manifest_file, errors)
    if manifest is None:
        if not any(f == str(manifest_file) for f, _, _ in errors):
            errors.append((str(manifest_file), 1, "empty manifest"))
        return None
    schema_problems = _schema_errors(_validator("manifest"), manifest, str(manifest_file))
    if schema_problems:
        errors.extend(schema_problems)
        return None
    pack = Pack(
        id=str(manifest["pack"]),
        version=str(manifest["version"]),
        title=str(manifest.get("title", "")),
        description=str(manifest.get("description", "")),
        path=folder,
    )
    if "screening" in manifest:
        pack.screening = _screening_settings(folder, manifest, errors)
    rule_files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.name != MANIFEST)
    for rule_file in rule_files:
        document = _read_yaml(rule_file, errors)
        if document is None:
            if not any(f == str(rule_file) for f, _, _ in errors):
                errors.append((str(rule_file), 1, "empty rule file (expected a mapping with `rules:`)"))
            continue
        problems = _schema_errors(_validator("ruleFile"), document, str(rule_file))
        if problems:
            errors.extend(problems)
            continue
        for index, node in enumerate(document["rules"]):
            rule = _build_rule(pack, rule_file, node, line_of(document, ["rules", index]), errors)
            if rule is not None:
                pack.rules.append(rule)
    return pack


def _screening_settings(folder: Path, manifest: CommentedMap, errors: list[tuple[str, int, str]]) -> Any:
    """pack.yaml `screening:` -> ScreeningSettings, its data files loaded and checked."""
    from engine.screening.presentation import AmlDataError, ScreeningSettings, load_aml_data

    where = str(folder / MANIFEST)
    config = manifest["screening"]
    hold, review = float(config["hold_threshold"]), float(config["review_threshold"])
    if review > hold:
        errors.append((where, line_of(manifest, ["screening", "review_threshold"]),
                       f"screening.review_threshold {review} is above hold_threshold {hold}"))
        return None
    data_folder = folder / str(config["data"])
    if not data_folder.is_dir():
        errors.append((where, line_of(manifest, ["screening", "data"]), f"screening.data: no folder {data_folder}"))
        return None
    try:
        data = load_aml_data(data_folder)
    except AmlDataError as err:
        errors.extend(err.problems)
        return None
    return ScreeningSettings(hold_threshold=hold, review_threshold=review, data=data)


def _build_rule(pack: Pack, file: Path, node: CommentedMap, line: int, errors: list[tuple[str, int, str]]) -> Rule | None:
    where = str(file)
    rule_id = str(node["id"])
    count = len(errors)

    def problem(key: str | list[str | int] | None, message: str) -> None:
        keys = [key] if isinstance(key, str) else (key or [])
        errors.append((where, line_of(node, keys) if keys else line, f"rule {rule_id}: {message}"))

    if not rule_id.startswith(pack.id + "."):
        problem("id", f"id must start with the pack id {pack.id + '.'!r}")
    applies_to = str(node["applies_to"])

    programs: dict[str, Program] = {}
    for key in ("for_each", "when", "condition"):
        if key in node:
            try:
                programs[key] = compile_expression(str(node[key]))
            except CelSyntaxError as err:
                problem(key, f"{key}: CEL syntax error at {err}")

    for_each_path: str | None = None
    for_each_types: list[str] = []
    item_type: FactType | None = None
    item_origin: str | None = None
    analysis = Analysis()
    if "for_each" in programs:
        base_scope = scope_for(applies_to, None)
        source = programs["for_each"].source.strip()
        if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[\d+\])*", source):
            try:
                list_type = resolve_type(base_scope, source)
            except KeyError as err:
                problem("for_each", f"for_each: {err.args[0]}")
                list_type = FactType("dyn")
            if list_type.kind not in ("list", "dyn"):
                problem("for_each", f"for_each: {source!r} is a {list_type.describe()}, not a list")
            for_each_path = source
            item_type = list_type.element if list_type.kind == "list" and list_type.element else FactType("dyn")
            head, steps = split_path(source)
            item_origin = _origin_of(head, steps, {})
        elif re.fullmatch(r"\s*docs\.\w+(\s*\+\s*docs\.\w+)*\s*", source):
            item_type = FactType("dyn")  # documents of several types
            item_origin = "doc:*"
            for_each_types = re.findall(r"docs\.(\w+)", source)
        else:
            item_type = FactType("dyn")
            item_origin = "?"
        sub = Analysis()
        analyse(programs["for_each"], base_scope, None, sub)
        _merge(analysis, sub, "for_each", problem)
    scope = scope_for(applies_to, item_type)
    for key in ("when", "condition"):
        if key in programs:
            sub = Analysis()
            analyse(programs[key], scope, item_origin, sub)
            _merge(analysis, sub, key, problem)

    message = str(node["message"])
    for placeholder in _placeholders(message):
        try:
            resolve_type(scope, placeholder)
        except (KeyError, ValueError) as err:
            problem("message", f"message placeholder {{{placeholder}}}: {err.args[0]}")
    evidence = [str(p) for p in node.get("evidence", [])]
    for index, path in enumerate(evidence):
        try:
            resolve_type(scope, path)
        except (KeyError, ValueError) as err:
            problem(["evidence", index], f"evidence {path!r}: {err.args[0]}")
        if path not in analysis.paths:
            analysis.paths.append(path)

    tests = []
    for index, case in enumerate(node.get("tests", [])):
        tests.append(
            RuleTest(
                name=str(case["name"]),
                facts=_plain(case.get("facts", {})),
                expect=str(case["expect"]),
                todo=bool(case.get("todo", False)),
                file=where,
                line=line_of(node, ["tests", index]),
                facts_node=case.get("facts"),
            )
        )
        if str(case["expect"]) == "skip" and "when" not in node:
            problem(["tests", index], f"test {case['name']!r}: expect skip needs a `when` guard")
    if len(errors) > count or "condition" not in programs:
        return None
    fast = {
        key: _runtime_program(
            program,
            applies_to,
            for_each_path if key != "for_each" else None,
            programs.get("for_each") if key != "for_each" else None,
        )
        for key, program in programs.items()
    }
    fast_by_type = {
        doc_type: {
            key: _runtime_program(programs[key], applies_to, f"docs.{doc_type}", programs["for_each"], ITEM_INDEX)
            for key in ("when", "condition")
            if key in programs
        }
        for doc_type in for_each_types
        if doc_type in DOC_TYPES
    }
    rule = Rule(
        id=rule_id,
        title=str(node.get("title", "")),
        refs=[str(r) for r in node.get("refs", [])],
        severity=str(node["severity"]),
        hold=bool(node.get("hold", False)),
        applies_to=applies_to,
        condition=programs["condition"],
        when=programs.get("when"),
        for_each=programs.get("for_each"),
        for_each_path=for_each_path,
        item_type=item_type,
        message=message,
        evidence=evidence,
        pack=pack.id,
        file=where,
        line=line,
        status=str(node.get("status", "stable")),
        false_positives=[str(x) for x in node.get("false_positives", [])],
        tests=tests,
        paths=analysis.paths,
        fast=fast,
        for_each_types=for_each_types if len(fast_by_type) == len(set(for_each_types)) else [],
        fast_by_type=fast_by_type,
    )
    rule._fields = analysis.fields  # type: ignore[attr-defined]
    rule._unsure = analysis.unsure  # type: ignore[attr-defined]
    return rule


DOC_INDEX = "bt_doc_index"
ITEM_INDEX = "bt_item_index"  # position of a for_each document among those of its type


def _replace_identifier(text: str, blanked: str, name: str, replacement: str) -> str:
    """Replace the variable ``name`` (not a field ``.name``, not inside strings) by ``replacement``."""
    pieces: list[str] = []
    last = 0
    for match in re.finditer(rf"(?<![\w.]){name}(?!\w)", blanked):
        if blanked[match.end() :].lstrip().startswith("("):
            continue  # a function of that name, not the variable
        pieces.append(text[last : match.start()])
        pieces.append(replacement)
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def _runtime_program(
    program: Program, applies_to: str, for_each_path: str | None, for_each: Program | None, item_index: str = "index"
) -> Program:
    """The program the runtime executes: `doc` / `item` read from the shared facts by index.

    Handing a document or an item to CEL converts it on every read, and adding it to the
    context makes the next execution rebuild the whole context (measured ~90 us); reading
    `docs.<type>[bt_doc_index]` and `(<for_each>)[index]` from the facts already in the
    context costs only an int. The rule keeps its own text for messages and explain.
    """
    source = program.source
    macro_names = set(_MACRO_BINDING.findall(_blank_strings(source)))
    if applies_to in DOC_TYPES and "doc" in program.variables and "doc" not in macro_names:
        source = _replace_identifier(source, _blank_strings(source), "doc", f"docs.{applies_to}[{DOC_INDEX}]")
    if for_each is not None and "item" in program.variables and "item" not in macro_names:
        items = for_each_path or f"({for_each.source})"
        if for_each_path is None and "doc" in for_each.variables:
            items = f"({_replace_identifier(for_each.source, _blank_strings(for_each.source), 'doc', f'docs.{applies_to}[{DOC_INDEX}]')})"
        source = _replace_identifier(source, _blank_strings(source), "item", f"{items}[{item_index}]")
        if for_each_path is not None and for_each_path.startswith("doc"):
            source = _replace_identifier(source, _blank_strings(source), "doc", f"docs.{applies_to}[{DOC_INDEX}]")
    if source == program.source:
        return program
    compiled = compile_expression(source)
    return Program(program.source, program.variables, program.functions, compiled._compiled)


def _merge(total: Analysis, part: Analysis, key: str, problem: Any) -> None:
    for message in part.errors:
        problem(key, f"{key}: {message}")
    total.paths.extend(p for p in part.paths if p not in total.paths)
    total.fields.extend(part.fields)
    total.unsure = total.unsure or part.unsure


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _placeholders(message: str) -> list[str]:
    return [m.group(1).strip() for m in _PLACEHOLDER.finditer(message) if m.group(1) is not None]


def _fields_used(ruleset: RuleSet) -> dict[str, set[str] | None]:
    """Union of the fields rules read, per root ("lc", "doc:<type>"); None means every field."""
    roots = ["lc", *(f"doc:{t}" for t in DOC_TYPES)]
    used: dict[str, set[str] | None] = {root: set() for root in roots}
    for rule in ruleset.rules:
        if getattr(rule, "_unsure", False):
            return {root: None for root in roots}
        references: list[tuple[str, str | None]] = []
        for root, name in getattr(rule, "_fields", []):
            if root == "doc:*":
                references.extend((r, name) for r in roots if r.startswith("doc:"))
            else:
                references.append((root, name))
        for root, name in references:
            if root == "docs":
                used.update({r: None for r in roots if r.startswith("doc:")})
                continue
            if root not in used:
                continue
            current = used[root]
            if current is None:
                continue
            if name is None:
                used[root] = None
            else:
                current.add(name)
    for root in roots:  # file and type are always there: evidence and findings name them
        current = used[root]
        if current is not None and root.startswith("doc:"):
            current.update({"file", "type"})
    return used
