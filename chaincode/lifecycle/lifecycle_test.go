package lifecycle

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// runStep mirrors fabric.lifecycle.run_step: ("ok", state|"decided"|"unchanged") or ("error", text).
func runStep(e *Enforcer, m *Memory, s Step) (string, string) {
	var out *Outcome
	var err error
	switch {
	case s.RecordExamination != nil:
		var rec any
		_ = json.Unmarshal(s.RecordExamination, &rec)
		out, err = e.RecordExamination(m, s.MSP, rec)
	case s.Decide != nil:
		var dec any
		_ = json.Unmarshal(s.Decide.Decision, &dec)
		out, err = e.Decide(m, s.MSP, s.Decide.PresentationID, dec)
	default:
		out, err = e.Fire(m, s.MSP, s.Machine, s.ID, s.Action, s.Args, false)
	}
	if err != nil {
		return "error", err.Error()
	}
	m.Apply(out)
	switch {
	case out.Unchanged:
		return "ok", "unchanged"
	case len(out.Entities) == 0:
		return "ok", "decided"
	default:
		return "ok", out.Entities[0].State
	}
}

func TestSharedVectors(t *testing.T) {
	vectors, err := Vectors()
	if err != nil {
		t.Fatal(err)
	}
	e := &Enforcer{Spec: MustEmbedded()}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			m := NewMemory()
			for i, s := range v.Steps {
				before, _ := json.Marshal(m)
				kind, got := runStep(e, m, s)
				if s.Expect.Error != nil {
					if kind != "error" || got != *s.Expect.Error {
						t.Fatalf("step %d: got %s %q, want error %q", i, kind, got, *s.Expect.Error)
					}
					after, _ := json.Marshal(m)
					if string(before) != string(after) {
						t.Fatalf("step %d changed state while failing", i)
					}
				} else if kind != "ok" || got != *s.Expect.State {
					t.Fatalf("step %d: got %s %q, want state %q", i, kind, got, *s.Expect.State)
				}
			}
		})
	}
}

func TestRenderJoinsListsLikePython(t *testing.T) {
	got := Render("{a} one of {b}; {missing}.", map[string]any{"a": "x", "b": []string{"true", "false"}})
	if got != "x one of true, false; ." {
		t.Fatalf("got %q", got)
	}
}

func TestParseRejectsUnknownState(t *testing.T) {
	var raw map[string]any
	_ = json.Unmarshal(SpecJSON(), &raw)
	tr := raw["machines"].(map[string]any)["payment"].(map[string]any)["transitions"].([]any)[1].(map[string]any)
	tr["to"] = "vanished"
	data, _ := json.Marshal(raw)
	_, err := Parse(data)
	if err == nil || !strings.Contains(err.Error(), "machines.payment.transitions[1]: needs exactly one of to") {
		t.Fatalf("got %v", err)
	}
}

func TestParseRejectsUnknownOrgType(t *testing.T) {
	var raw map[string]any
	_ = json.Unmarshal(SpecJSON(), &raw)
	tr := raw["machines"].(map[string]any)["kyc"].(map[string]any)["transitions"].([]any)[0].(map[string]any)
	tr["org_types"] = []string{"regulator"}
	data, _ := json.Marshal(raw)
	_, err := Parse(data)
	if err == nil || err.Error() != "lifecycle.json: machines.kyc.transitions[0].org_types: unknown organisation type regulator" {
		t.Fatalf("got %v", err)
	}
}

func TestEventCarriesTransition(t *testing.T) {
	e := &Enforcer{Spec: MustEmbedded()}
	out, err := e.Fire(NewMemory(), "BankMSP", "kyc", "ORG-1", "register",
		map[string]string{"entity_hash": strings.Repeat("a", 64)}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"machine": "kyc", "id": "ORG-1", "action": "register", "from": "", "to": "pending",
		"msp": "BankMSP", "args": map[string]string{"entity_hash": strings.Repeat("a", 64)}}
	if !reflect.DeepEqual(out.Event, want) || out.EventName != "lifecycle" {
		t.Fatalf("got %v %v", out.EventName, out.Event)
	}
}
