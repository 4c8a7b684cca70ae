package contracts

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/blocktrade/blocktrade/chaincode/lifecycle"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

var hash = strings.Repeat("a", 64)

type world struct{ stub *fakeStub }

func (w world) as(msp string) *fakeContext {
	return &fakeContext{stub: w.stub, id: fakeIdentity{msp: msp}}
}

func lc() *LifecycleContract      { return &LifecycleContract{Machine: "letter_of_credit"} }
func payment() *LifecycleContract { return &LifecycleContract{Machine: "payment"} }

// ok fails the test on an error; used as ok(t)(contract.Call(...)).
func ok(t *testing.T) func(string, error) {
	return func(_ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func wantErr(t *testing.T, err error, text string) {
	t.Helper()
	if err == nil || err.Error() != text {
		t.Fatalf("got error %v, want %q", err, text)
	}
}

func TestChaincodeBuildsFromAllContracts(t *testing.T) {
	cc, err := contractapi.NewChaincode(All()...)
	if err != nil {
		t.Fatal(err)
	}
	if cc.DefaultContract != "examination" {
		t.Fatalf("default contract %q", cc.DefaultContract)
	}
}

func TestFlowWritesDeterministicJSONAndEvents(t *testing.T) {
	w := world{newFakeStub()}
	ok(t)(lc().Fire(w.as("CorporateMSP"), "LC-1", "create", `{"terms_hash":"`+hash+`"}`))
	if w.stub.eventName != "lifecycle" {
		t.Fatalf("event %q", w.stub.eventName)
	}
	wantEvent := `{"action":"create","args":{"terms_hash":"` + hash + `"},"from":"","id":"LC-1","machine":"letter_of_credit","msp":"CorporateMSP","to":"draft","tx_id":"tx-1"}`
	if string(w.stub.event) != wantEvent {
		t.Fatalf("event payload %s", w.stub.event)
	}
	ok(t)(lc().Fire(w.as("BankMSP"), "LC-1", "issue", ""))
	ok(t)(lc().Fire(w.as("CorporateMSP"), "LC-1", "present_documents", `{"presentation_id":"P-1"}`))
	got, err := lc().Get(w.as("LogisticsMSP"), "LC-1")
	ok(t)(got, err)
	want := `{"attrs":{"presentation_id":"P-1","terms_hash":"` + hash + `"},"id":"LC-1","machine":"letter_of_credit","state":"documents_presented"}`
	if got != want {
		t.Fatalf("got %s", got)
	}
	record := `{"presentation_id":"P-1","lc_id":"LC-1","document_hashes":["` + strings.Repeat("2", 64) + `","` + strings.Repeat("1", 64) + `"],"rule_pack_versions":{"ucp600":"1.0.0"},"findings_hash":"` + hash + `","outcome":"compliant"}`
	exam := &ExaminationContract{}
	ok(t)(exam.Record(w.as("BankMSP"), record))
	if w.stub.eventName != "examination" || !strings.Contains(string(w.stub.event), `"lc_state":"compliant"`) {
		t.Fatalf("event %s %s", w.stub.eventName, w.stub.event)
	}
	// a replay (an outbox retry) is accepted and changes nothing
	w.stub.eventName = ""
	again, err := exam.Record(w.as("BankMSP"), record)
	if err != nil || again != `{"unchanged":true}` || w.stub.eventName != "" {
		t.Fatalf("replay: %s %v %q", again, err, w.stub.eventName)
	}
	stored, err := exam.Get(w.as("BankMSP"), "P-1")
	ok(t)(stored, err)
	var rec map[string]any
	_ = json.Unmarshal([]byte(stored), &rec)
	hashes := rec["document_hashes"].([]any)
	if hashes[0] != strings.Repeat("1", 64) || len(rec["decisions"].([]any)) != 0 {
		t.Fatalf("record %s", stored)
	}
}

func TestEveryTransactionChecksTheCallerMSP(t *testing.T) {
	w := world{newFakeStub()}
	const unknown = "caller MSP id EvilMSP is not an organisation of the trade-finance network"
	_, err := lc().Fire(w.as("EvilMSP"), "LC-1", "create", `{"terms_hash":"`+hash+`"}`)
	wantErr(t, err, unknown)
	_, err = lc().Get(w.as("EvilMSP"), "LC-1")
	wantErr(t, err, unknown)
	_, err = (&ExaminationContract{}).Get(w.as("EvilMSP"), "P-1")
	wantErr(t, err, unknown)
	_, err = (&ExaminationContract{}).SpecVersion(w.as("EvilMSP"))
	wantErr(t, err, unknown)
	broken := &fakeContext{stub: w.stub, id: fakeIdentity{err: errors.New("no creator")}}
	_, err = lc().Get(broken, "LC-1")
	wantErr(t, err, "cannot read the caller's MSP id: no creator")
	if len(w.stub.state) != 0 {
		t.Fatal("a rejected call wrote state")
	}
}

func TestMalformedPayloadsGetExactErrors(t *testing.T) {
	w := world{newFakeStub()}
	_, err := lc().Fire(w.as("BankMSP"), "LC-1", "create", `{"terms_hash": 7}`)
	wantErr(t, err, "arguments of create are not a JSON object of strings")
	_, err = (&ExaminationContract{}).Record(w.as("BankMSP"), `{not json`)
	wantErr(t, err, "examination record is not a JSON object")
	_, err = payment().Fire(w.as("BankMSP"), "PAY-1", "release", "")
	wantErr(t, err, "payment PAY-1 does not exist")
	_, err = lc().Get(w.as("BankMSP"), "LC-404")
	wantErr(t, err, "letter_of_credit LC-404 does not exist")
	_, err = (&ExaminationContract{}).Get(w.as("BankMSP"), "P-404")
	wantErr(t, err, "examination of presentation P-404 does not exist")
}

func TestLedgerReadFailureIsReported(t *testing.T) {
	w := world{newFakeStub()}
	w.stub.failGet = errors.New("peer unavailable")
	_, err := lc().Fire(w.as("BankMSP"), "LC-1", "create", `{"terms_hash":"`+hash+`"}`)
	wantErr(t, err, "peer unavailable")
}

// The shared vectors once more, this time through the contracts and the fake stub.
func TestSharedVectorsThroughContracts(t *testing.T) {
	vectors, err := lifecycle.Vectors()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			w := world{newFakeStub()}
			for i, s := range v.Steps {
				var got string
				var err error
				ctx := w.as(s.MSP)
				switch {
				case s.RecordExamination != nil:
					got, err = (&ExaminationContract{}).Record(ctx, string(s.RecordExamination))
				case s.Decide != nil:
					got, err = (&ExaminationContract{}).Decide(ctx, s.Decide.PresentationID, string(s.Decide.Decision))
				default:
					args, _ := json.Marshal(s.Args)
					if s.Args == nil {
						args = nil
					}
					c := &LifecycleContract{Machine: s.Machine}
					got, err = c.Fire(ctx, s.ID, s.Action, string(args))
				}
				if s.Expect.Error != nil {
					wantErr(t, err, *s.Expect.Error)
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				state := *s.Expect.State
				switch state {
				case "unchanged":
					if got != `{"unchanged":true}` {
						t.Fatalf("step %d: got %s", i, got)
					}
				case "decided":
					if !strings.Contains(got, `"kind":"decision_recorded"`) {
						t.Fatalf("step %d: got %s", i, got)
					}
				default:
					var ev map[string]any
					_ = json.Unmarshal([]byte(got), &ev)
					to := ev["to"]
					if to == nil {
						to = ev["lc_state"]
					}
					if to != state {
						t.Fatalf("step %d: got %s, want state %s", i, got, state)
					}
				}
			}
		})
	}
}
