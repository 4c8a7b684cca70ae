package lifecycle

// Memory is an in-memory State, for tests and for running the shared vectors.
type Memory struct {
	Entities map[string]*Entity
	Records  map[string]map[string]any
}

// NewMemory returns an empty in-memory ledger state.
func NewMemory() *Memory {
	return &Memory{Entities: map[string]*Entity{}, Records: map[string]map[string]any{}}
}

// GetEntity returns a copy of the stored entity, or nil.
func (m *Memory) GetEntity(machine, id string) (*Entity, error) {
	e := m.Entities[machine+"\x00"+id]
	if e == nil {
		return nil, nil
	}
	attrs := map[string]string{}
	for k, v := range e.Attrs {
		attrs[k] = v
	}
	return &Entity{Machine: e.Machine, ID: e.ID, State: e.State, Attrs: attrs}, nil
}

// GetRecord returns a copy of the stored examination record, or nil.
func (m *Memory) GetRecord(presentationID string) (map[string]any, error) {
	r := m.Records[presentationID]
	if r == nil {
		return nil, nil
	}
	return decode(canonical(r)), nil
}

// Apply writes an outcome.
func (m *Memory) Apply(o *Outcome) {
	for _, e := range o.Entities {
		m.Entities[e.Machine+"\x00"+e.ID] = e
	}
	if o.Record != nil {
		m.Records[o.Record["presentation_id"].(string)] = o.Record
	}
}
