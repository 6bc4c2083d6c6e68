package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/interactions"
)

func TestLoadInteractions(t *testing.T) {
	ctx := context.Background()
	s, err := interactions.OpenSQLite(ctx, filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var in strings.Builder
	in.WriteString(`{"user_id": "u1", "item_id": "i1", "timestamp": "2026-01-02T03:04:05Z", "event": "view", "weight": 2}` + "\n\n")
	in.WriteString(`{"user_id": 7, "item_id": 9, "timestamp": 1767225600.5}` + "\n")
	for i := 0; i < 1200; i++ { // more than one batch
		in.WriteString(`{"user_id": "u2", "item_id": "i` + string(rune('a'+i%26)) + `", "timestamp": ` + time.Unix(int64(1767225600+i), 0).Format(`"2006-01-02T15:04:05Z"`) + "}\n")
	}
	n, err := loadInteractions(ctx, s, strings.NewReader(in.String()), "x.jsonl")
	if err != nil || n != 1202 {
		t.Fatalf("loaded %d, %v; want 1202", n, err)
	}
	seen, _ := s.Seen(ctx, "7")
	if _, ok := seen["9"]; !ok || len(seen) != 1 {
		t.Errorf("integer ids: seen = %v", seen)
	}
	recent, _ := s.Recent(ctx, "7", 1)
	if len(recent) != 1 || !recent[0].Time.Equal(time.Unix(1767225600, 5e8)) {
		t.Errorf("epoch timestamp: %+v", recent)
	}
	if seen, _ := s.Seen(ctx, "u2"); len(seen) != 26 {
		t.Errorf("u2 saw %d items, want 26", len(seen))
	}
}

func TestLoadInteractionsErrors(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"not json", `{"user_id":`, "line 2: not an interaction object"},
		{"unknown field", `{"user_id":"u","item_id":"i","timestamp":1,"colour":"red"}`, "line 2"},
		{"missing user", `{"item_id":"i","timestamp":1}`, "line 2: field user_id"},
		{"bad item", `{"user_id":"u","item_id":1.5,"timestamp":1}`, "line 2: field item_id"},
		{"bad time text", `{"user_id":"u","item_id":"i","timestamp":"yesterday"}`, "line 2: field timestamp"},
		{"negative time", `{"user_id":"u","item_id":"i","timestamp":-5}`, "line 2: field timestamp"},
		{"store rejects", `{"user_id":"u","item_id":"i","timestamp":"2999-01-01T00:00:00Z"}`, "timestamp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := interactions.OpenSQLite(ctx, filepath.Join(t.TempDir(), "i.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			in := `{"user_id":"ok","item_id":"i","timestamp":1}` + "\n" + tc.line + "\n"
			_, err = loadInteractions(ctx, s, strings.NewReader(in), "bad.jsonl")
			if err == nil || !strings.Contains(err.Error(), "bad.jsonl") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming bad.jsonl and %q", err, tc.want)
			}
		})
	}
}
