package checkpoint_test

import (
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
)

// Any manifest or parity file, however broken, gives a value or an error.
func FuzzParse(f *testing.F) {
	f.Add(checkpointtest.NCF("v1", created).ManifestJSON())
	f.Add(checkpointtest.Classifier("v1", created).ManifestJSON())
	f.Add(checkpointtest.NCF("v1", created).Files["parity.json"])
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := checkpoint.Parse(data); err == nil {
			for name := range m.Files {
				if checkpoint.CheckFileName(name) != nil {
					t.Fatalf("Parse accepted file name %q", name)
				}
			}
		}
		_, _ = checkpoint.ParseParity(data)
	})
}
