package interactions

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// conformance is testdata/contract/interactions.json: the id and record cases that the
// training side (training/tests/test_conformance.py) runs too.
type conformance struct {
	IDs []struct {
		ID    string `json:"id"`
		Valid bool   `json:"valid"`
		Error string `json:"error"`
		Note  string `json:"note"`
	} `json:"ids"`
	Records []struct {
		Record json.RawMessage `json:"record"`
		Valid  bool            `json:"valid"`
		Want   *struct {
			UserID    string  `json:"user_id"`
			ItemID    string  `json:"item_id"`
			Timestamp string  `json:"timestamp"`
			Weight    float64 `json:"weight"`
		} `json:"want"`
		Field string `json:"field"`
		Note  string `json:"note"`
	} `json:"records"`
}

func readConformance(t testing.TB) conformance {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "contract", "interactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c conformance
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.IDs) == 0 || len(c.Records) == 0 {
		t.Fatal("conformance file holds no cases")
	}
	return c
}

func TestConformanceIDs(t *testing.T) {
	for _, tc := range readConformance(t).IDs {
		got := CheckID(tc.ID)
		if tc.Valid && got != "" || !tc.Valid && got != tc.Error {
			t.Errorf("%s: CheckID(%q) = %q, want %q", tc.Note, tc.ID, got, tc.Error)
		}
	}
}

func TestConformanceRecords(t *testing.T) {
	for _, tc := range readConformance(t).Records {
		t.Run(tc.Note, func(t *testing.T) {
			rt, s := ingestRouter(t)
			status, out := post(t, rt, `{"interactions":[`+string(tc.Record)+`]}`)
			if !tc.Valid {
				msg, _ := out["message"].(string)
				if status != 400 || !strings.HasPrefix(msg, "interactions[0]."+tc.Field+":") {
					t.Fatalf("ingest %s: %d %v, want 400 naming interactions[0].%s", tc.Record, status, out, tc.Field)
				}
				return
			}
			if status != 200 {
				t.Fatalf("ingest %s: %d %v", tc.Record, status, out)
			}
			got, err := s.Recent(context.Background(), tc.Want.UserID, 10)
			if err != nil || len(got) != 1 {
				t.Fatalf("Recent(%q) = %v, %v; want one interaction", tc.Want.UserID, got, err)
			}
			w := 1.0
			if got[0].Weight != nil {
				w = *got[0].Weight
			}
			at := got[0].Time.UTC().Format(time.RFC3339Nano)
			if got[0].ItemID != tc.Want.ItemID || at != tc.Want.Timestamp || w != tc.Want.Weight {
				t.Errorf("stored (%q, %s, %v), want (%q, %s, %v)", got[0].ItemID, at, w,
					tc.Want.ItemID, tc.Want.Timestamp, tc.Want.Weight)
			}
		})
	}
}
