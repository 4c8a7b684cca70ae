package contracts

import (
	"crypto/x509"
	"errors"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeStub keeps world state in a map; only the stub methods the contracts use are implemented
// (the embedded nil interface makes any other call panic, so an unexpected use shows up in tests).
type fakeStub struct {
	shim.ChaincodeStubInterface
	state     map[string][]byte
	txID      string
	eventName string
	event     []byte
	failGet   error
}

func newFakeStub() *fakeStub { return &fakeStub{state: map[string][]byte{}, txID: "tx-1"} }

func (s *fakeStub) GetState(key string) ([]byte, error) {
	if s.failGet != nil {
		return nil, s.failGet
	}
	return s.state[key], nil
}

func (s *fakeStub) PutState(key string, value []byte) error {
	s.state[key] = append([]byte(nil), value...)
	return nil
}

func (s *fakeStub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *fakeStub) GetTxID() string { return s.txID }

func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return &timestamppb.Timestamp{Seconds: 1767225600}, nil
}

func (s *fakeStub) SetEvent(name string, payload []byte) error {
	s.eventName, s.event = name, payload
	return nil
}

// fakeIdentity answers with a fixed MSP id (or an error, for a broken identity).
type fakeIdentity struct {
	msp string
	err error
}

var _ cid.ClientIdentity = fakeIdentity{}

func (f fakeIdentity) GetID() (string, error)    { return "x509::CN=user", nil }
func (f fakeIdentity) GetMSPID() (string, error) { return f.msp, f.err }
func (f fakeIdentity) GetAttributeValue(string) (string, bool, error) {
	return "", false, nil
}
func (f fakeIdentity) AssertAttributeValue(string, string) error { return errors.New("no attributes") }
func (f fakeIdentity) GetX509Certificate() (*x509.Certificate, error) {
	return nil, errors.New("no certificate in the fake")
}

// fakeContext is the transaction context handed to contract functions.
type fakeContext struct {
	stub *fakeStub
	id   fakeIdentity
}

func (c *fakeContext) GetStub() shim.ChaincodeStubInterface  { return c.stub }
func (c *fakeContext) GetClientIdentity() cid.ClientIdentity { return c.id }
