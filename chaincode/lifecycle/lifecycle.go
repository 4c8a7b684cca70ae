// Package lifecycle enforces the shared lifecycle specification (lifecycle.json), the same file
// that fabric/lifecycle.py loads. Both enforcers run vectors.json, so states, permissions and
// every error text must agree. The order of checks is part of the contract: machine, action,
// caller MSP, organisation type, id, existence, from-state, arguments, guards.
package lifecycle

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed lifecycle.json
var specJSON []byte

//go:embed vectors.json
var vectorsJSON []byte

// SpecJSON returns the embedded specification as bytes (for the chaincode's metadata query).
func SpecJSON() []byte { return specJSON }

// VectorsJSON returns the embedded shared test vectors.
func VectorsJSON() []byte { return vectorsJSON }

// Error is a rejection; Message is the exact text from the spec's messages.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Render fills {name} placeholders; lists are joined with ", " exactly as the Python side does.
func Render(template string, values map[string]any) string {
	return placeholder.ReplaceAllStringFunc(template, func(m string) string {
		v, ok := values[m[1:len(m)-1]]
		if !ok || v == nil {
			return ""
		}
		switch t := v.(type) {
		case []string:
			return strings.Join(t, ", ")
		case string:
			return t
		default:
			return fmt.Sprint(t)
		}
	})
}

type rawArg struct {
	Pattern  *string  `json:"pattern"`
	Choices  []string `json:"choices"`
	Link     *string  `json:"link"`
	Optional bool     `json:"optional"`
}

type rawGuard struct {
	Kind      string   `json:"kind"`
	Message   string   `json:"message"`
	Link      string   `json:"link"`
	States    []string `json:"states"`
	Attribute string   `json:"attribute"`
	Argument  string   `json:"argument"`
}

type rawTransition struct {
	Action       string            `json:"action"`
	From         []string          `json:"from"`
	To           *string           `json:"to"`
	ToByArgument *string           `json:"to_by_argument"`
	OrgTypes     []string          `json:"org_types"`
	Args         map[string]rawArg `json:"args"`
	Record       []string          `json:"record"`
	Guards       []rawGuard        `json:"guards"`
	Internal     bool              `json:"internal"`
}

type rawMachine struct {
	States      []string        `json:"states"`
	Final       []string        `json:"final"`
	Transitions []rawTransition `json:"transitions"`
}

type rawField struct {
	Type       string `json:"type"`
	Pattern    string `json:"pattern"`
	KeyPattern string `json:"key_pattern"`
}

type rawSpec struct {
	Version       string                `json:"version"`
	Organisations map[string]string     `json:"organisations"`
	IDPattern     string                `json:"id_pattern"`
	Messages      map[string]string     `json:"messages"`
	Machines      map[string]rawMachine `json:"machines"`
	Examination   struct {
		OrgTypes []string            `json:"org_types"`
		LCAction string              `json:"lc_action"`
		Fields   map[string]rawField `json:"fields"`
		Decision struct {
			OrgTypes []string            `json:"org_types"`
			Fields   map[string]rawField `json:"fields"`
		} `json:"decision"`
	} `json:"examination_record"`
}

// ArgSpec describes one argument of a transition.
type ArgSpec struct {
	Name     string
	Pattern  *regexp.Regexp
	Choices  []string
	Link     string
	Optional bool
}

// Guard is a named predicate with its own message.
type Guard struct {
	Kind, Message, Link, Attribute, Argument string
	States                                   []string
}

// Transition is one action of a machine.
type Transition struct {
	Action         string
	From           []string
	To             string
	TargetArgument string
	OrgTypes       []string
	Args           map[string]ArgSpec
	Record         []string
	Guards         []Guard
	Internal       bool
}

// Creates tells whether the action brings the entity into existence.
func (t *Transition) Creates() bool { return len(t.From) == 0 }

// Machine is one lifecycle.
type Machine struct {
	Name        string
	States      []string
	Transitions map[string]*Transition
}

// FieldSpec is one field of an examination record or a reviewer decision.
type FieldSpec struct {
	Type       string
	Pattern    *regexp.Regexp
	KeyPattern *regexp.Regexp
}

// Spec is the parsed specification.
type Spec struct {
	Version          string
	Organisations    map[string]string
	IDPattern        *regexp.Regexp
	Messages         map[string]string
	Machines         map[string]*Machine
	RecordOrgTypes   []string
	RecordLCAction   string
	RecordFields     map[string]FieldSpec
	DecisionOrgTypes []string
	DecisionFields   map[string]FieldSpec
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func compile(pattern, where string) (*regexp.Regexp, error) {
	if !strings.HasPrefix(pattern, "^") || !strings.HasSuffix(pattern, "$") {
		return nil, fmt.Errorf("%s: pattern must be anchored with ^ and $", where)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: bad pattern: %v", where, err)
	}
	return re, nil
}

func parseFields(raw map[string]rawField, where string) (map[string]FieldSpec, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: must be a non-empty object", where)
	}
	out := map[string]FieldSpec{}
	for name, f := range raw {
		if f.Type != "string" && f.Type != "list" && f.Type != "map" {
			return nil, fmt.Errorf("%s.%s: unknown type %q", where, name, f.Type)
		}
		re, err := compile(f.Pattern, where+"."+name+".pattern")
		if err != nil {
			return nil, err
		}
		fs := FieldSpec{Type: f.Type, Pattern: re}
		if f.Type == "map" {
			if fs.KeyPattern, err = compile(f.KeyPattern, where+"."+name+".key_pattern"); err != nil {
				return nil, err
			}
		}
		out[name] = fs
	}
	return out, nil
}

// Parse validates the JSON specification; an inconsistency is an error naming the JSON path.
func Parse(data []byte) (*Spec, error) {
	var raw rawSpec
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("lifecycle.json: not valid JSON: %v", err)
	}
	if len(raw.Organisations) == 0 || len(raw.Machines) == 0 {
		return nil, fmt.Errorf("lifecycle.json: organisations and machines must be non-empty")
	}
	idre, err := compile(raw.IDPattern, "lifecycle.json: id_pattern")
	if err != nil {
		return nil, err
	}
	orgTypes := map[string]bool{}
	for _, t := range raw.Organisations {
		orgTypes[t] = true
	}
	spec := &Spec{Version: raw.Version, Organisations: raw.Organisations, IDPattern: idre,
		Messages: raw.Messages, Machines: map[string]*Machine{}}
	for mname, rm := range raw.Machines {
		m := &Machine{Name: mname, States: rm.States, Transitions: map[string]*Transition{}}
		creates := false
		for i, rt := range rm.Transitions {
			where := fmt.Sprintf("lifecycle.json: machines.%s.transitions[%d]", mname, i)
			if rt.Action == "" || m.Transitions[rt.Action] != nil {
				return nil, fmt.Errorf("%s: action must be a unique string", where)
			}
			for _, s := range rt.From {
				if !contains(rm.States, s) || contains(rm.Final, s) {
					return nil, fmt.Errorf("%s.from: %s is unknown or final", where, s)
				}
			}
			if len(rt.OrgTypes) == 0 {
				return nil, fmt.Errorf("%s.org_types: must be non-empty", where)
			}
			for _, o := range rt.OrgTypes {
				if !orgTypes[o] {
					return nil, fmt.Errorf("%s.org_types: unknown organisation type %s", where, o)
				}
			}
			t := &Transition{Action: rt.Action, From: rt.From, OrgTypes: rt.OrgTypes, Args: map[string]ArgSpec{},
				Record: rt.Record, Internal: rt.Internal}
			for aname, ra := range rt.Args {
				a := ArgSpec{Name: aname, Choices: ra.Choices, Optional: ra.Optional}
				if ra.Pattern != nil {
					if a.Pattern, err = compile(*ra.Pattern, where+".args."+aname); err != nil {
						return nil, err
					}
				}
				if ra.Link != nil {
					if _, ok := raw.Machines[*ra.Link]; !ok {
						return nil, fmt.Errorf("%s.args.%s.link: unknown machine %s", where, aname, *ra.Link)
					}
					a.Link = *ra.Link
				}
				t.Args[aname] = a
			}
			switch {
			case rt.To != nil && rt.ToByArgument == nil && contains(rm.States, *rt.To):
				t.To = *rt.To
			case rt.To == nil && rt.ToByArgument != nil && len(t.Args[*rt.ToByArgument].Choices) > 0:
				t.TargetArgument = *rt.ToByArgument
			default:
				return nil, fmt.Errorf("%s: needs exactly one of to (a state), to_by_argument", where)
			}
			for _, g := range rt.Guards {
				if g.Kind != "linked_state_in" && g.Kind != "linked_state_not_in" && g.Kind != "attribute_equals_argument" {
					return nil, fmt.Errorf("%s: unknown guard kind %s", where, g.Kind)
				}
				t.Guards = append(t.Guards, Guard{Kind: g.Kind, Message: g.Message, Link: g.Link,
					Attribute: g.Attribute, Argument: g.Argument, States: g.States})
			}
			creates = creates || t.Creates()
			m.Transitions[rt.Action] = t
		}
		if !creates {
			return nil, fmt.Errorf("lifecycle.json: machines.%s: no transition creates the entity", mname)
		}
		spec.Machines[mname] = m
	}
	ex := raw.Examination
	if spec.RecordFields, err = parseFields(ex.Fields, "lifecycle.json: examination_record.fields"); err != nil {
		return nil, err
	}
	if spec.DecisionFields, err = parseFields(ex.Decision.Fields, "lifecycle.json: examination_record.decision.fields"); err != nil {
		return nil, err
	}
	spec.RecordOrgTypes, spec.RecordLCAction, spec.DecisionOrgTypes = ex.OrgTypes, ex.LCAction, ex.Decision.OrgTypes
	if lc := spec.Machines["letter_of_credit"]; lc == nil || lc.Transitions[ex.LCAction] == nil {
		return nil, fmt.Errorf("lifecycle.json: examination_record.lc_action must be a letter_of_credit action")
	}
	return spec, nil
}

// MustEmbedded parses the embedded specification; the chaincode cannot run without it.
func MustEmbedded() *Spec {
	spec, err := Parse(specJSON)
	if err != nil {
		panic(err)
	}
	return spec
}

func (s *Spec) fail(code string, values map[string]any) *Error {
	return &Error{Code: code, Message: Render(s.Messages[code], values)}
}
