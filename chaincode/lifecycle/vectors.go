package lifecycle

import (
	"encoding/json"
	"fmt"
)

// Step is one step of a shared test vector.
type Step struct {
	MSP               string            `json:"msp"`
	Machine           string            `json:"machine"`
	ID                string            `json:"id"`
	Action            string            `json:"action"`
	Args              map[string]string `json:"args"`
	RecordExamination json.RawMessage   `json:"record_examination"`
	Decide            *struct {
		PresentationID string          `json:"presentation_id"`
		Decision       json.RawMessage `json:"decision"`
	} `json:"decide"`
	Expect struct {
		State *string `json:"state"`
		Error *string `json:"error"`
	} `json:"expect"`
}

// Vector is a named sequence of steps run from an empty ledger.
type Vector struct {
	Name  string `json:"name"`
	Steps []Step `json:"steps"`
}

// Vectors parses the embedded shared vectors.
func Vectors() ([]Vector, error) {
	var file struct {
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(vectorsJSON, &file); err != nil {
		return nil, fmt.Errorf("vectors.json: %v", err)
	}
	if len(file.Vectors) == 0 {
		return nil, fmt.Errorf("vectors.json: no vectors")
	}
	return file.Vectors, nil
}
