// Package contracts exposes the lifecycle as Fabric contracts. Each contract reads the caller's
// MSP id on every transaction (queries too) and lets the shared enforcer decide; the ledger holds
// only ids, states, hashes and outcomes. Values are written as deterministic JSON so that every
// endorsing peer produces the same write set.
package contracts

import (
	"encoding/json"
	"fmt"

	"github.com/blocktrade/blocktrade/chaincode/lifecycle"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

var enforcer = &lifecycle.Enforcer{Spec: lifecycle.MustEmbedded()}

// ledger adapts the transaction stub to lifecycle.State.
type ledger struct {
	ctx contractapi.TransactionContextInterface
}

func entityKey(ctx contractapi.TransactionContextInterface, machine, id string) (string, error) {
	return ctx.GetStub().CreateCompositeKey("entity", []string{machine, id})
}

func recordKey(ctx contractapi.TransactionContextInterface, pid string) (string, error) {
	return ctx.GetStub().CreateCompositeKey("examination", []string{pid})
}

func (l ledger) GetEntity(machine, id string) (*lifecycle.Entity, error) {
	key, err := entityKey(l.ctx, machine, id)
	if err != nil {
		return nil, err
	}
	raw, err := l.ctx.GetStub().GetState(key)
	if err != nil || raw == nil {
		return nil, err
	}
	var e lifecycle.Entity
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("corrupt ledger value at %s %s: %v", machine, id, err)
	}
	return &e, nil
}

func (l ledger) GetRecord(pid string) (map[string]any, error) {
	key, err := recordKey(l.ctx, pid)
	if err != nil {
		return nil, err
	}
	raw, err := l.ctx.GetStub().GetState(key)
	if err != nil || raw == nil {
		return nil, err
	}
	var r map[string]any
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("corrupt examination record %s: %v", pid, err)
	}
	return r, nil
}

// callerMSP reads the caller's MSP id and checks it is one of the network's organisations.
func callerMSP(ctx contractapi.TransactionContextInterface) (string, error) {
	msp, err := ctx.GetClientIdentity().GetMSPID()
	if err != nil {
		return "", fmt.Errorf("cannot read the caller's MSP id: %v", err)
	}
	if _, err := enforcer.OrgType(msp); err != nil {
		return "", err
	}
	return msp, nil
}

// apply writes an accepted outcome and sets its chaincode event; it returns the JSON answer.
func apply(ctx contractapi.TransactionContextInterface, out *lifecycle.Outcome) (string, error) {
	stub := ctx.GetStub()
	if out.Unchanged {
		return `{"unchanged":true}`, nil
	}
	for _, e := range out.Entities {
		key, err := entityKey(ctx, e.Machine, e.ID)
		if err != nil {
			return "", err
		}
		raw, _ := json.Marshal(e) // struct of strings and a string map: always encodable
		if err := stub.PutState(key, raw); err != nil {
			return "", err
		}
	}
	if out.Record != nil {
		key, err := recordKey(ctx, out.Record["presentation_id"].(string))
		if err != nil {
			return "", err
		}
		raw, _ := json.Marshal(out.Record)
		if err := stub.PutState(key, raw); err != nil {
			return "", err
		}
	}
	out.Event["tx_id"] = stub.GetTxID()
	payload, _ := json.Marshal(out.Event)
	if err := stub.SetEvent(out.EventName, payload); err != nil {
		return "", err
	}
	return string(payload), nil
}

// LifecycleContract serves one machine of the spec (letter_of_credit, payment, ...).
type LifecycleContract struct {
	contractapi.Contract
	Machine string
}

// Fire runs an action with its arguments given as a JSON object of strings.
func (c *LifecycleContract) Fire(ctx contractapi.TransactionContextInterface, id, action, argsJSON string) (string, error) {
	msp, err := callerMSP(ctx)
	if err != nil {
		return "", err
	}
	args := map[string]string{}
	if argsJSON != "" {
		if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
			return "", fmt.Errorf("arguments of %s are not a JSON object of strings", action)
		}
	}
	out, err := enforcer.Fire(ledger{ctx}, msp, c.Machine, id, action, args, false)
	if err != nil {
		return "", err
	}
	return apply(ctx, out)
}

// Get returns the entity as JSON.
func (c *LifecycleContract) Get(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	if _, err := callerMSP(ctx); err != nil {
		return "", err
	}
	e, err := ledger{ctx}.GetEntity(c.Machine, id)
	if err != nil {
		return "", err
	}
	if e == nil {
		return "", fmt.Errorf("%s %s does not exist", c.Machine, id)
	}
	raw, _ := json.Marshal(e)
	return string(raw), nil
}

// ExaminationContract records examinations (hashes, pack versions, outcome) and reviewer decisions.
type ExaminationContract struct {
	contractapi.Contract
}

func parseObject(raw string) any {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil // not JSON: the enforcer rejects a non-object with the spec's message
	}
	return v
}

// Record stores an examination and moves the credit by its outcome; identical replays are no-ops.
func (c *ExaminationContract) Record(ctx contractapi.TransactionContextInterface, recordJSON string) (string, error) {
	msp, err := callerMSP(ctx)
	if err != nil {
		return "", err
	}
	out, err := enforcer.RecordExamination(ledger{ctx}, msp, parseObject(recordJSON))
	if err != nil {
		return "", err
	}
	return apply(ctx, out)
}

// Decide appends a reviewer decision (waive or confirm) on one finding, identified by its hash.
func (c *ExaminationContract) Decide(ctx contractapi.TransactionContextInterface, presentationID, decisionJSON string) (string, error) {
	msp, err := callerMSP(ctx)
	if err != nil {
		return "", err
	}
	out, err := enforcer.Decide(ledger{ctx}, msp, presentationID, parseObject(decisionJSON))
	if err != nil {
		return "", err
	}
	return apply(ctx, out)
}

// Get returns the examination record as JSON.
func (c *ExaminationContract) Get(ctx contractapi.TransactionContextInterface, presentationID string) (string, error) {
	if _, err := callerMSP(ctx); err != nil {
		return "", err
	}
	r, err := ledger{ctx}.GetRecord(presentationID)
	if err != nil {
		return "", err
	}
	if r == nil {
		return "", fmt.Errorf("examination of presentation %s does not exist", presentationID)
	}
	raw, _ := json.Marshal(r)
	return string(raw), nil
}

// SpecVersion returns the version of the embedded lifecycle specification.
func (c *ExaminationContract) SpecVersion(ctx contractapi.TransactionContextInterface) (string, error) {
	if _, err := callerMSP(ctx); err != nil {
		return "", err
	}
	return enforcer.Spec.Version, nil
}

// ContractNames maps the chaincode's contract names to lifecycle machines.
var ContractNames = map[string]string{
	"lc": "letter_of_credit", "payment": "payment", "shipment": "shipment",
	"financing": "invoice_financing", "kyc": "kyc",
}

// All returns every contract of the chaincode; "examination" is the default contract.
func All() []contractapi.ContractInterface {
	exam := &ExaminationContract{}
	exam.Name = "examination"
	out := []contractapi.ContractInterface{exam}
	for _, name := range []string{"lc", "payment", "shipment", "financing", "kyc"} {
		c := &LifecycleContract{Machine: ContractNames[name]}
		c.Name = name
		out = append(out, c)
	}
	return out
}
