package schema

import (
	"encoding/json"
	"testing"
)

// TestSchemasAreDraft202012 checks that every embedded schema is a JSON object that
// declares draft 2020-12 and requires at least one field.
func TestSchemasAreDraft202012(t *testing.T) {
	for name, b := range map[string][]byte{"manifest": Manifest, "parity": Parity, "pointer": Pointer} {
		var doc struct {
			Schema   string   `json:"$schema"`
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %q, want draft 2020-12", name, doc.Schema)
		}
		if len(doc.Required) == 0 {
			t.Errorf("%s: requires no field", name)
		}
	}
}
