package catalog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// In the process that serves a kind, the catalog never reports a promoted
// version that failed to load there: it reports the version that answers.
func TestModelsNeverReportAFailedVersion(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)
	writeNCF(t, root, "v1", t0, 0.5)
	writeNCF(t, root, "v2", t0.Add(time.Hour), 0.7) // promoted; say it fails to load here
	tests := []struct {
		name   string
		status modelstore.Status
		want   Entry
	}{
		{"loaded", modelstore.Status{Serving: "v2"}, Entry{Status: StatusActive, Version: "v2"}},
		{"not yet refreshed", modelstore.Status{Serving: "v1"}, Entry{Status: StatusActive, Version: "v2"}},
		{"failed, v1 serves", modelstore.Status{Serving: "v1", Failed: "v2"}, Entry{Status: StatusActive, Version: "v1",
			Message: "the promoted version could not be loaded; the previous version serves"}},
		{"failed, nothing serves", modelstore.Status{Failed: "v2"}, Entry{Status: StatusError,
			Message: "the promoted version could not be loaded"}},
		{"an older failure", modelstore.Status{Serving: "v2", Failed: "v1"}, Entry{Status: StatusActive, Version: "v2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(modelstore.NewLocal(root), modelstore.NewLocalPointer(root), 0)
			c.Serving(checkpoint.NCF, func() modelstore.Status { return tc.status })
			_, body := get(t, c, "/v1/models")
			var ans Answer
			if err := json.Unmarshal([]byte(body), &ans); err != nil {
				t.Fatal(err)
			}
			got := ans.Models[0]
			if got.Status != tc.want.Status || got.Version != tc.want.Version || got.Message != tc.want.Message {
				t.Errorf("ncf entry = %+v, want status %s version %q message %q", got, tc.want.Status, tc.want.Version, tc.want.Message)
			}
			if (got.Promotion != nil) != (got.Version == "v2") {
				t.Errorf("promotion record %+v beside version %q: want it only for the promoted v2", got.Promotion, got.Version)
			}
		})
	}
}
