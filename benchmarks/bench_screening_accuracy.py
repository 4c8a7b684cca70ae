"""Screening accuracy on the real lists, side by side with OpenSanctions' nomenklatura.

Lists: OFAC SDN (2024-05-03) + OFAC consolidated (2025-12-19) + UN consolidated, loaded together.
Positive queries: listed names perturbed the way real documents write them — a one-letter
typo, tokens reordered, the legal form dropped, written in Cyrillic, or an alias of the entry
instead of its primary name. A positive counts as found when the listed entry is among the
matches at the threshold. Negative queries: names that are not listed (common personal names
from many countries, real company names); any match at the threshold is a false positive.
Negatives whose folded form equals a listed name are dropped (they would be true hits).

nomenklatura runs in its own environment (never the project's):
    python3 -m venv /tmp/nkvenv && /tmp/nkvenv/bin/pip install nomenklatura==4.17.4
It has no search index of its own (yente puts Elasticsearch in front of it), so its candidates
come from a rapidfuzz top-K over every listed name; each candidate entry (all its names) is
scored with nomenklatura's LogicV1 and matched at its usual 0.70 threshold.

    .venv/bin/python benchmarks/bench_screening_accuracy.py [--positives 400] [--nomenklatura-python PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.screening import ListStore, Screener  # noqa: E402
from engine.screening.normalize import LEGAL_FORMS, fold  # noqa: E402

FIRST_NAMES = ["James", "Maria", "Wei", "Anna", "Jose", "Fatima", "John", "Olga", "Hiroshi", "Priya", "Carlos",
               "Sarah", "Lars", "Ingrid", "Pierre", "Sophie", "Giovanni", "Chiara", "Kwame", "Amara", "Juan",
               "Lucia", "Tomasz", "Agnieszka", "Mehmet", "Ayse", "Raj", "Sunita", "Kenji", "Yuki", "Michael",
               "Emma", "David", "Laura", "Pedro", "Ana", "Hans", "Greta", "Ivan", "Elena"]
LAST_NAMES = ["Smith", "Garcia", "Zhang", "Schmidt", "Silva", "Johnson", "Kowalski", "Tanaka", "Patel", "Rossi",
              "Dubois", "Jensen", "Mensah", "Okafor", "Fernandez", "Novak", "Yilmaz", "Sharma", "Suzuki", "Brown",
              "Martin", "Muller", "Lopez", "Andersson", "Nielsen", "Moreau", "Bianchi", "Nakamura", "Kim", "Nguyen"]
COMPANIES = ["Walmart Inc", "Toyota Motor Corporation", "Maersk Line", "Hapag-Lloyd AG", "Siemens AG",
             "Cargill Incorporated", "Mitsubishi Corporation", "Olam International Limited", "Tata Steel Limited",
             "Nestle S.A.", "Unilever PLC", "BASF SE", "Bayer AG", "Samsung Electronics Co., Ltd.",
             "Hyundai Motor Company", "Sony Group Corporation", "Panasonic Holdings", "Volkswagen AG",
             "Renault S.A.", "Airbus SE", "Boeing Company", "Caterpillar Inc", "Deere & Company",
             "Archer-Daniels-Midland Company", "Bunge Global SA", "Louis Dreyfus Company", "Glencore plc",
             "Trafigura Group", "Vitol SA", "Rio Tinto", "BHP Group", "Vale S.A.", "ArcelorMittal",
             "Nippon Steel Corporation", "POSCO Holdings", "Reliance Industries Limited", "Infosys Limited",
             "Wipro Limited", "Adani Ports and Special Economic Zone", "DP World", "PSA International",
             "COSCO Shipping Holdings", "Evergreen Marine Corporation", "Yang Ming Marine Transport",
             "CMA CGM", "Mediterranean Shipping Company", "ONE Ocean Network Express", "Kuehne + Nagel",
             "DHL Group", "DSV A/S", "Schenker AG", "Expeditors International", "Nordea Bank Abp",
             "Deutsche Bank AG", "HSBC Holdings plc", "Standard Chartered PLC", "BNP Paribas",
             "Societe Generale", "ING Groep N.V.", "Rabobank", "Banco Santander", "BBVA", "UniCredit S.p.A.",
             "Intesa Sanpaolo", "Credit Agricole", "Commerzbank AG", "Danske Bank", "DBS Bank Ltd",
             "Oversea-Chinese Banking Corporation", "United Overseas Bank", "Mizuho Bank", "MUFG Bank",
             "Sumitomo Mitsui Banking Corporation", "Bank of China", "Industrial and Commercial Bank of China",
             "China Construction Bank", "Agricultural Bank of China", "State Bank of India", "ICICI Bank",
             "HDFC Bank", "Emirates NBD", "First Abu Dhabi Bank", "Qatar National Bank", "Saudi Aramco",
             "Petrobras", "Equinor ASA", "TotalEnergies SE", "Shell plc", "BP p.l.c.", "Chevron Corporation",
             "ExxonMobil", "ENI S.p.A.", "Repsol S.A.", "Marubeni Corporation", "Sumitomo Corporation",
             "Itochu Corporation", "Mitsui & Co.", "Noble Group", "Wilmar International", "Sime Darby",
             "Fonterra Co-operative Group", "Arla Foods", "Danone", "Kraft Heinz", "PepsiCo", "Coca-Cola Company",
             "Adidas AG", "Puma SE", "Inditex", "H&M Hennes & Mauritz", "Zalando SE", "IKEA", "Lidl", "Aldi Nord"]
# Letters with one obvious Cyrillic counterpart (C, H, Y, ... have several and stay Latin).
CYRILLIC = str.maketrans({"A": "А", "B": "Б", "V": "В", "G": "Г", "D": "Д", "E": "Е", "Z": "З", "I": "И",
                          "K": "К", "L": "Л", "M": "М", "N": "Н", "O": "О", "P": "П", "R": "Р", "S": "С",
                          "T": "Т", "U": "У", "F": "Ф"})
# Legal forms as documents write them in full: dropped whole, never half ("JOINT STOCK" left over).
LEGAL_PHRASES = re.compile(r"\b(?:PUBLIC |OPEN |CLOSED )?JOINT[- ]STOCK COMPANY\b|\bLIMITED LIABILITY COMPANY\b"
                           r"|\bPUBLIC LIMITED COMPANY\b|\bSOCIEDAD ANONIMA\b", re.IGNORECASE)
PERTURBATIONS = ("typo", "reorder", "legal_form", "cyrillic", "alias")


def perturb(name: str, kind: str, rng: random.Random) -> str | None:
    words = name.replace(",", " ").split()
    if kind == "typo":
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        if len(word) < 6:
            return None
        cut = rng.randrange(1, len(word) - 1)
        op = rng.randrange(3)
        if op == 0:
            words[longest] = word[:cut] + word[cut + 1:]
        elif op == 1:
            words[longest] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2:]
        else:
            words[longest] = word[:cut] + rng.choice("AEIOU") + word[cut + 1:]
        return " ".join(words)
    if kind == "reorder":
        return " ".join(reversed(words)) if len(words) > 1 else None
    if kind == "legal_form":
        without = LEGAL_PHRASES.sub(" ", name.replace(",", " "))
        if without.split() != words:
            return " ".join(without.split()) or None
        kept = [w for w in words if w.upper().strip(".,") not in LEGAL_FORMS]
        return " ".join(kept) if kept and len(kept) < len(words) else None
    if kind == "cyrillic":
        return name.upper().translate(CYRILLIC)
    return None


def build_cases(screener: Screener, positives: int, rng: random.Random) -> list[dict[str, object]]:
    entities = screener.index.entities
    cases: list[dict[str, object]] = []
    per_kind = positives // len(PERTURBATIONS)
    for kind in PERTURBATIONS:
        made = 0
        while made < per_kind:
            entity = rng.choice(entities)
            if entity.type == "aircraft":
                continue
            if kind == "alias":
                aliases = [n.full for n in entity.names if n.kind != "primary" and n.strength == "strong"]
                if not aliases:
                    continue
                # the UN file lists spelling variants of one alias in one field, ";"-separated:
                # a document names one of them
                query: str | None = rng.choice(rng.choice(aliases).split(";")).strip()
            else:
                query = perturb(entity.primary_name, kind, rng)
            if not query:
                continue
            cases.append({"query": query, "kind": kind, "truth": entity.id,
                          "type": "individual" if entity.type == "individual" else None})
            made += 1
    listed = {fold(n.full) for e in entities for n in e.names}
    negatives = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(negatives)
    negatives = negatives[: max(positives // 2, 200)] + COMPANIES
    for name in negatives:
        if fold(name) not in listed:
            cases.append({"query": name, "kind": "negative", "truth": None, "type": None})
    return cases


def score(results: list[tuple[dict[str, object], list[str]]]) -> dict[str, object]:
    tp = fn = fp = tn = 0
    per_kind: dict[str, list[int]] = {}
    for case, found in results:
        kind = str(case["kind"])
        if case["truth"] is None:
            fp += bool(found)
            tn += not found
            per_kind.setdefault(kind, [0, 0])
            per_kind[kind][0] += not found
        else:
            hit = case["truth"] in found
            tp += hit
            fn += not hit
            per_kind.setdefault(kind, [0, 0])
            per_kind[kind][0] += hit
        per_kind[kind][1] += 1
    recall = tp / (tp + fn) if tp + fn else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"recall": recall, "fpr": fpr, "precision": precision, "f1": f1,
            "per_kind": {k: f"{v[0]}/{v[1]}" for k, v in per_kind.items()}}


NOMENKLATURA_RUNNER = r'''
import json, sys
from followthemoney import model
from nomenklatura.matching import LogicV1
from rapidfuzz import process, fuzz, utils
from unidecode import unidecode
data = json.load(open(sys.argv[1]))
entities = data["entities"]
names, owners = [], []
for position, entity in enumerate(entities):
    for name in entity["names"]:
        names.append(utils.default_process(unidecode(name)))
        owners.append(position)
SCHEMA = {"individual": "Person", "entity": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
config = LogicV1.default_config()
def make(schema, key, values):
    proxy = model.make_entity(schema)
    proxy.id = key
    for value in values:
        proxy.add("name", value)
    return proxy
out = []
for number, case in enumerate(data["cases"]):
    query = make("Person" if case["type"] == "individual" else "LegalEntity", "q", [case["query"]])
    blocked = process.extract(utils.default_process(unidecode(case["query"])), names, scorer=fuzz.token_sort_ratio,
                              limit=data["top_k"])
    seen, found = set(), []
    for _name, _score, position in blocked:
        owner = owners[position]
        if owner in seen:
            continue
        seen.add(owner)
        entity = entities[owner]
        candidate = make(SCHEMA[entity["type"]], entity["id"], entity["names"])
        if LogicV1.compare(query, candidate, config).score >= data["threshold"]:
            found.append(entity["id"])
    out.append(found)
json.dump(out, open(sys.argv[2], "w"))
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positives", type=int, default=400)
    parser.add_argument("--threshold", type=float, default=0.80, help="our matcher's threshold (the AML pack's review threshold)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--nomenklatura-python", type=Path, default=Path("/tmp/nkvenv/bin/python"))
    parser.add_argument("--nk-threshold", type=float, default=0.70)
    parser.add_argument("--top-k", type=int, default=30)
    args = parser.parse_args()
    lists = args.data / "sanctions"
    store = ListStore(tempfile.mkdtemp(prefix="bench-accuracy-"))
    for paths in ([lists / "ofac/sdn_2024-05-03/sdn.csv"],
                  sorted((lists / "ofac/consolidated_non_sdn_2025-12-19").glob("*.csv")),
                  [lists / "un/UN_consolidated.xml"]):
        store.import_files(paths)
    screener = Screener(store)
    rng = random.Random(20261127)
    cases = build_cases(screener, args.positives, rng)
    print(f"lists: {', '.join(v.label for v in screener.versions)}; {len(screener.index.entities)} entries")
    print(f"cases: {sum(1 for c in cases if c['truth'])} positives, {sum(1 for c in cases if not c['truth'])} negatives")

    started = time.perf_counter()
    ours = [(c, [m.entity.id for m in screener.screen(str(c["query"]), type=c["type"], threshold=args.threshold)])
            for c in cases]
    elapsed = time.perf_counter() - started
    mine = score(ours)
    print(f"blocktrade (threshold {args.threshold}): recall {mine['recall']:.3f}  FPR {mine['fpr']:.3f}  "
          f"precision {mine['precision']:.3f}  F1 {mine['f1']:.3f}  ({len(cases) / elapsed:.0f} queries/s)")
    print(f"  per perturbation: {mine['per_kind']}")
    for case, found in ours:
        if (case["truth"] and case["truth"] not in found) or (not case["truth"] and found):
            print(f"  miss/FP [{case['kind']}] {case['query']!r} -> {found[:3]} (truth {case['truth']})")

    if not args.nomenklatura_python.is_file():
        print(f"nomenklatura: not run ({args.nomenklatura_python} missing; see the module docstring)")
        return
    work = Path(tempfile.mkdtemp(prefix="bench-nk-"))
    payload = {"threshold": args.nk_threshold, "top_k": args.top_k, "cases": cases,
               "entities": [{"id": e.id, "type": e.type, "names": [n.full for n in e.names]}
                            for e in screener.index.entities]}
    (work / "in.json").write_text(json.dumps(payload), encoding="utf-8")
    (work / "runner.py").write_text(NOMENKLATURA_RUNNER, encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([str(args.nomenklatura_python), str(work / "runner.py"), str(work / "in.json"),
                    str(work / "out.json")], check=True)
    elapsed = time.perf_counter() - started
    found_nk = json.loads((work / "out.json").read_text(encoding="utf-8"))
    theirs = score(list(zip(cases, found_nk, strict=True)))
    print(f"nomenklatura LogicV1 (threshold {args.nk_threshold}, rapidfuzz top-{args.top_k} blocking): "
          f"recall {theirs['recall']:.3f}  FPR {theirs['fpr']:.3f}  precision {theirs['precision']:.3f}  "
          f"F1 {theirs['f1']:.3f}  ({len(cases) / elapsed:.0f} queries/s incl. start-up)")
    print(f"  per perturbation: {theirs['per_kind']}")


if __name__ == "__main__":
    main()
