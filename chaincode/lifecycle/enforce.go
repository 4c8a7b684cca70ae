package lifecycle

import (
	"encoding/json"
	"sort"
)

// Entity is the ledger value of one lifecycle instance; fields in sorted order for deterministic JSON.
type Entity struct {
	Attrs   map[string]string `json:"attrs"`
	ID      string            `json:"id"`
	Machine string            `json:"machine"`
	State   string            `json:"state"`
}

// State is where the enforcer reads what exists; the caller writes the outcome.
type State interface {
	GetEntity(machine, id string) (*Entity, error)
	GetRecord(presentationID string) (map[string]any, error)
}

// Outcome is what one accepted operation changes.
type Outcome struct {
	Entities  []*Entity
	Record    map[string]any
	Event     map[string]any
	EventName string
	Unchanged bool
}

// Enforcer applies the spec.
type Enforcer struct{ Spec *Spec }

// OrgType resolves a caller MSP id to its organisation type.
func (e *Enforcer) OrgType(msp string) (string, error) {
	org, ok := e.Spec.Organisations[msp]
	if !ok {
		return "", e.Spec.fail("unknown_msp", map[string]any{"msp": msp})
	}
	return org, nil
}

func (e *Enforcer) authorise(msp string, orgTypes []string, action, machine, id string) error {
	org, err := e.OrgType(msp)
	if err != nil {
		return err
	}
	if !contains(orgTypes, org) {
		return e.Spec.fail("forbidden_org", map[string]any{"msp": msp, "org_type": org, "action": action,
			"machine": machine, "id": id})
	}
	return nil
}

// Fire runs one transition. internal is true only when recording an examination.
func (e *Enforcer) Fire(st State, msp, machine, id, action string, args map[string]string, internal bool) (*Outcome, error) {
	s := e.Spec
	if args == nil {
		args = map[string]string{}
	}
	m := s.Machines[machine]
	if m == nil {
		return nil, s.fail("unknown_machine", map[string]any{"machine": machine})
	}
	t := m.Transitions[action]
	if t == nil {
		return nil, s.fail("unknown_action", map[string]any{"action": action, "machine": machine})
	}
	if t.Internal && !internal {
		return nil, s.fail("internal_action", map[string]any{"action": action, "machine": machine})
	}
	if err := e.authorise(msp, t.OrgTypes, action, machine, id); err != nil {
		return nil, err
	}
	if !s.IDPattern.MatchString(id) {
		return nil, s.fail("bad_id", map[string]any{"id": id, "pattern": s.IDPattern.String()})
	}
	current, err := st.GetEntity(machine, id)
	if err != nil {
		return nil, err
	}
	if t.Creates() && current != nil {
		return nil, s.fail("already_exists", map[string]any{"machine": machine, "id": id})
	}
	if !t.Creates() {
		if current == nil {
			return nil, s.fail("not_found", map[string]any{"machine": machine, "id": id})
		}
		if !contains(t.From, current.State) {
			return nil, s.fail("bad_transition", map[string]any{"machine": machine, "id": id, "action": action,
				"state": current.State})
		}
	}
	if err := e.checkArgs(st, t, machine, args); err != nil {
		return nil, err
	}
	entity := current
	if entity == nil {
		entity = &Entity{Machine: machine, ID: id, Attrs: map[string]string{}}
	}
	for _, g := range t.Guards {
		if err := e.checkGuard(st, g, t, entity, args); err != nil {
			return nil, err
		}
	}
	target := t.To
	if t.TargetArgument != "" {
		target = args[t.TargetArgument]
	}
	attrs := map[string]string{}
	for k, v := range entity.Attrs {
		attrs[k] = v
	}
	for _, name := range t.Record {
		if v, ok := args[name]; ok {
			attrs[name] = v
		}
	}
	next := &Entity{Machine: machine, ID: id, State: target, Attrs: attrs}
	event := map[string]any{"machine": machine, "id": id, "action": action, "from": entity.State, "to": target,
		"msp": msp, "args": args}
	return &Outcome{Entities: []*Entity{next}, Event: event, EventName: "lifecycle"}, nil
}

func (e *Enforcer) checkArgs(st State, t *Transition, machine string, args map[string]string) error {
	s := e.Spec
	for _, name := range sortedKeys(args) {
		if _, ok := t.Args[name]; !ok {
			return s.fail("unknown_argument", map[string]any{"action": t.Action, "machine": machine, "arg": name})
		}
	}
	for _, name := range sortedKeys(t.Args) {
		a := t.Args[name]
		value, present := args[name]
		if !present {
			if a.Optional {
				continue
			}
			return s.fail("missing_argument", map[string]any{"action": t.Action, "machine": machine, "arg": name})
		}
		if len(a.Choices) > 0 && !contains(a.Choices, value) {
			return s.fail("bad_choice", map[string]any{"arg": name, "action": t.Action, "value": value,
				"choices": a.Choices})
		}
		pattern := a.Pattern
		if pattern == nil && a.Link != "" {
			pattern = s.IDPattern
		}
		if pattern != nil && !pattern.MatchString(value) {
			return s.fail("bad_argument", map[string]any{"arg": name, "action": t.Action, "value": value,
				"pattern": pattern.String()})
		}
		if a.Link != "" {
			linked, err := st.GetEntity(a.Link, value)
			if err != nil {
				return err
			}
			if linked == nil {
				return s.fail("linked_not_found", map[string]any{"link_machine": a.Link, "link_id": value, "arg": name})
			}
		}
	}
	return nil
}

func (e *Enforcer) linkMachine(machine, link string) string {
	for _, t := range e.Spec.Machines[machine].Transitions {
		if a, ok := t.Args[link]; ok && a.Link != "" {
			return a.Link
		}
	}
	return ""
}

func (e *Enforcer) checkGuard(st State, g Guard, t *Transition, entity *Entity, args map[string]string) error {
	values := map[string]any{"id": entity.ID, "machine": entity.Machine, "action": t.Action}
	if g.Kind == "attribute_equals_argument" {
		expected, value := entity.Attrs[g.Attribute], args[g.Argument]
		if expected != value {
			values["value"], values["expected"] = value, expected
			return &Error{Code: "guard", Message: Render(g.Message, values)}
		}
		return nil
	}
	linkID := args[g.Link]
	if linkID == "" {
		linkID = entity.Attrs[g.Link]
	}
	linkMachine := e.linkMachine(entity.Machine, g.Link)
	linked, err := st.GetEntity(linkMachine, linkID)
	if err != nil {
		return err
	}
	if linked == nil {
		return e.Spec.fail("linked_not_found", map[string]any{"link_machine": linkMachine, "link_id": linkID, "arg": g.Link})
	}
	values["link_id"], values["link_state"], values["link_machine"] = linkID, linked.State, linkMachine
	if (g.Kind == "linked_state_in") != contains(g.States, linked.State) {
		return &Error{Code: "guard", Message: Render(g.Message, values)}
	}
	return nil
}

func (e *Enforcer) validateFields(prefix string, raw any, fields map[string]FieldSpec) (map[string]any, error) {
	s := e.Spec
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, s.fail(prefix+"_not_object", nil)
	}
	for _, name := range sortedKeys(obj) {
		if _, known := fields[name]; !known {
			return nil, s.fail(prefix+"_field_unknown", map[string]any{"field": name})
		}
	}
	for _, name := range sortedKeys(fields) {
		fs := fields[name]
		value, present := obj[name]
		if !present {
			return nil, s.fail(prefix+"_field_missing", map[string]any{"field": name})
		}
		typeErr := s.fail(prefix+"_field_type", map[string]any{"field": name, "type": fs.Type})
		var items []string
		switch fs.Type {
		case "string":
			str, ok := value.(string)
			if !ok {
				return nil, typeErr
			}
			items = []string{str}
		case "list":
			list, ok := value.([]any)
			if !ok {
				return nil, typeErr
			}
			for _, v := range list {
				str, ok := v.(string)
				if !ok {
					return nil, typeErr
				}
				items = append(items, str)
			}
		case "map":
			m, ok := value.(map[string]any)
			if !ok {
				return nil, typeErr
			}
			for _, k := range sortedKeys(m) {
				str, ok := m[k].(string)
				if !ok {
					return nil, typeErr
				}
				if !fs.KeyPattern.MatchString(k) {
					return nil, s.fail(prefix+"_field_invalid", map[string]any{"field": name, "value": k,
						"pattern": fs.KeyPattern.String()})
				}
				items = append(items, str)
			}
		}
		if fs.Type != "string" && len(items) == 0 {
			return nil, s.fail("record_field_empty", map[string]any{"field": name})
		}
		for _, item := range items {
			if !fs.Pattern.MatchString(item) {
				return nil, s.fail(prefix+"_field_invalid", map[string]any{"field": name, "value": item,
					"pattern": fs.Pattern.String()})
			}
		}
	}
	return obj, nil
}

func canonical(v any) string {
	b, _ := json.Marshal(v) // values here are decoded JSON: always encodable
	return string(b)
}

// RecordExamination validates and records an examination; an identical replay is a no-op.
func (e *Enforcer) RecordExamination(st State, msp string, record any) (*Outcome, error) {
	s := e.Spec
	obj, isObject := record.(map[string]any)
	if !isObject {
		return nil, s.fail("record_not_object", nil)
	}
	pid, _ := obj["presentation_id"].(string)
	if err := e.authorise(msp, s.RecordOrgTypes, "record", "examination", pid); err != nil {
		return nil, err
	}
	clean, err := e.validateFields("record", obj, s.RecordFields)
	if err != nil {
		return nil, err
	}
	hashes := []string{}
	for _, h := range clean["document_hashes"].([]any) {
		hashes = append(hashes, h.(string))
	}
	sort.Strings(hashes)
	clean["document_hashes"] = hashes
	clean = decode(canonical(clean)) // normalise to plain decoded JSON for comparisons
	existing, err := st.GetRecord(pid)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		stored := map[string]any{}
		for name := range s.RecordFields {
			stored[name] = existing[name]
		}
		if canonical(stored) == canonical(clean) {
			return &Outcome{Unchanged: true}, nil
		}
		return nil, s.fail("record_conflict", map[string]any{"id": pid})
	}
	lcID := clean["lc_id"].(string)
	outcome := clean["outcome"].(string)
	fired, err := e.Fire(st, msp, "letter_of_credit", lcID, s.RecordLCAction,
		map[string]string{"outcome": outcome, "presentation_id": pid}, true)
	if err != nil {
		return nil, err
	}
	clean["decisions"] = []any{}
	event := map[string]any{"kind": "examination_recorded", "presentation_id": pid, "lc_id": lcID,
		"outcome": outcome, "lc_state": fired.Entities[0].State, "msp": msp}
	return &Outcome{Entities: fired.Entities, Record: clean, Event: event, EventName: "examination"}, nil
}

// Decide appends a reviewer decision on one finding; an identical replay is a no-op.
func (e *Enforcer) Decide(st State, msp, presentationID string, decision any) (*Outcome, error) {
	s := e.Spec
	if err := e.authorise(msp, s.DecisionOrgTypes, "decide", "examination", presentationID); err != nil {
		return nil, err
	}
	existing, err := st.GetRecord(presentationID)
	if err != nil {
		return nil, err
	}
	if existing == nil {
		return nil, s.fail("record_not_found", map[string]any{"id": presentationID})
	}
	clean, err := e.validateFields("decision", decision, s.DecisionFields)
	if err != nil {
		return nil, err
	}
	prior, _ := existing["decisions"].([]any)
	for _, p := range prior {
		pm, _ := p.(map[string]any)
		if pm["finding_hash"] == clean["finding_hash"] {
			if canonical(pm) == canonical(clean) {
				return &Outcome{Unchanged: true}, nil
			}
			return nil, s.fail("decision_duplicate", map[string]any{"finding_hash": clean["finding_hash"],
				"id": presentationID})
		}
	}
	updated := decode(canonical(existing))
	updated["decisions"] = append(append([]any{}, prior...), clean)
	event := map[string]any{"kind": "decision_recorded", "presentation_id": presentationID,
		"finding_hash": clean["finding_hash"], "decision": clean["decision"], "msp": msp}
	return &Outcome{Record: updated, Event: event, EventName: "examination"}, nil
}

func decode(s string) map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(s), &m) // s was produced by canonical() from a map
	return m
}
