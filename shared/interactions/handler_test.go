package interactions

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/api"
)

func ingestRouter(t *testing.T) (*api.Router, *SQLiteStore) {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h := NewHandler(s)
	h.now = func() time.Time { return base.Add(time.Hour) }
	rt := api.NewRouter()
	h.Register(rt)
	return rt, s
}

func post(t *testing.T, rt *api.Router, body string) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("POST", "/v1/interactions", strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	if e, ok := out["error"].(map[string]any); ok {
		out["message"] = e["message"]
	}
	return w.Code, out
}

func TestIngestStoresAndIsIdempotent(t *testing.T) {
	rt, s := ingestRouter(t)
	body := `{"interactions":[
		{"user_id":"u1","item_id":"a","timestamp":"2026-03-01T12:00:00Z","event":"view","weight":2},
		{"user_id":"u1","item_id":"b","timestamp":"2026-03-01T13:00:00+01:00"},
		{"user_id":"u2","item_id":"a"}]}`
	for range 2 { // the retry stores nothing new (u2 has no timestamp: the fixed clock)
		if status, out := post(t, rt, body); status != 200 || out["accepted"] != 3.0 {
			t.Fatalf("ingest: %d %v", status, out)
		}
	}
	got, err := s.Recent(context.Background(), "u1", 10)
	if err != nil {
		t.Fatal(err)
	}
	// b at 13:00+01:00 is 12:00Z, the same instant as a: two interactions, newest sort key first
	if len(got) != 2 || got[1].ItemID != "a" || got[1].Event != "view" || got[1].Weight == nil || *got[1].Weight != 2 {
		t.Fatalf("u1 history = %+v", got)
	}
	top, _ := s.TopItems(context.Background(), 5)
	if len(top) != 2 || top[0] != (ItemCount{"a", 2}) || top[1] != (ItemCount{"b", 1}) {
		t.Errorf("popularity after a retried call = %v, want a:2 b:1", top)
	}
	if r, _ := s.Recent(context.Background(), "u2", 5); len(r) != 1 || !r[0].Time.Equal(base.Add(time.Hour)) {
		t.Errorf("u2 without timestamp = %+v, want the server's time", r)
	}
}

func TestIngestRejectsNamingIndexAndField(t *testing.T) {
	rt, _ := ingestRouter(t)
	status, out := post(t, rt, `{"interactions":[{"user_id":"u","item_id":"i"},{"user_id":"u","item_id":"i","weight":1e400}]}`)
	if msg, _ := out["message"].(string); status != 400 || !strings.Contains(msg, "weight") {
		t.Errorf("huge weight: %d %v, want 400 naming the weight", status, out)
	}
	status, out = post(t, rt, `{"interactions":[{"user_id":"u","item_id":"i"},{"user_id":"u","item_id":"i","timestamp":"2999-01-01T00:00:00Z"}]}`)
	if msg, _ := out["message"].(string); status != 400 || !strings.HasPrefix(msg, "interactions[1].timestamp:") {
		t.Errorf("future timestamp: %d %v", status, out)
	}
}

func TestIngestWithoutTimestampsDedupesWithinWindow(t *testing.T) {
	rt, s := ingestRouter(t)
	h := NewHandler(s)
	clock := base.Add(time.Hour)
	h.now = func() time.Time { return clock }
	rt = api.NewRouter()
	h.Register(rt)
	body := `{"interactions":[{"user_id":"f","item_id":"x"},{"user_id":"f","item_id":"x"}]}`
	for i := range 50 { // 100 events inside one window
		clock = base.Add(time.Hour + time.Duration(i)*time.Second)
		if status, out := post(t, rt, body); status != 200 || out["accepted"] != 2.0 {
			t.Fatalf("ingest: %d %v", status, out)
		}
	}
	if got, _ := s.Recent(context.Background(), "f", 1000); len(got) != 1 || !got[0].Time.Equal(base.Add(time.Hour)) {
		t.Fatalf("100 events without timestamps in one window stored as %+v, want one at the window start", got)
	}
	clock = base.Add(time.Hour + ServerTimeWindow)
	post(t, rt, body)
	if got, _ := s.Recent(context.Background(), "f", 1000); len(got) != 2 {
		t.Errorf("the next window: %d interactions, want 2", len(got))
	}
	if top, _ := s.TopItems(context.Background(), 5); len(top) != 1 || top[0] != (ItemCount{"x", 1}) {
		t.Errorf("popularity = %v, want x counted for one user", top)
	}
}

func TestDeleteUserRoute(t *testing.T) {
	rt, s := ingestRouter(t)
	if code, out := post(t, rt, `{"interactions":[{"user_id":"u1","item_id":"a","timestamp":"2026-03-01T12:00:00Z"}]}`); code != 200 {
		t.Fatalf("ingest: %d %v", code, out)
	}
	del := func(path string) (int, map[string]any) {
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, httptest.NewRequest("DELETE", path, nil))
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("body %q: %v", w.Body.String(), err)
		}
		return w.Code, out
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/v1/users/%20/interactions", 400, "user_id must not start or end with white space"},
		{"/v1/users/a%01b/interactions", 400, "user_id must not contain control characters"},
		{"/v1/users/" + strings.Repeat("x", MaxIDBytes+1) + "/interactions", 400, "at most 256 bytes"},
		{"/v1/users/u1/interactions", 200, `"deleted":1`},
		{"/v1/users/u1/interactions", 200, `"deleted":0`},
	} {
		code, out := del(tc.path)
		raw, _ := json.Marshal(out)
		if code != tc.status || !strings.Contains(string(raw), tc.want) {
			t.Errorf("DELETE %s: %d %s, want %d with %s", tc.path, code, raw, tc.status, tc.want)
		}
	}
	if seen, _ := s.Seen(context.Background(), "u1"); len(seen) != 0 {
		t.Errorf("seen after delete: %v", seen)
	}
}
