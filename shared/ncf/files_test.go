package ncf

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadIDs(t *testing.T) {
	cases := []struct {
		name, data string
		want       int
		errHas     string
	}{
		{"ok", `["a","b","c"]`, 3, ""},
		{"count differs", `["a","b"]`, 3, "manifest says 3"},
		{"duplicate", `["a","b","a"]`, 3, "repeats index 0"},
		{"empty id", `["a",""]`, 2, "[1] is empty"},
		{"not strings", `[1,2]`, 2, "JSON array of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "ids.json", tc.data)
			got, err := readIDs(dir, "ids.json", tc.want)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if i, ok := got.index("c"); !ok || i != 2 {
				t.Errorf("index(c) = %d, %v; want 2, true", i, ok)
			}
		})
	}
	if _, err := readIDs(t.TempDir(), "../users.json", 1); err == nil {
		t.Error("a path-traversal file name was read")
	}
}

func TestReadPopular(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.json", `[{"item_id":"a","count":5},{"item_id":"b","count":5},{"item_id":"c","count":1}]`)
	write(t, dir, "rising.json", `[{"item_id":"a","count":1},{"item_id":"b","count":2}]`)
	write(t, dir, "negative.json", `[{"item_id":"a","count":-1}]`)
	if got, err := readPopular(dir, "ok.json"); err != nil || len(got) != 3 || got[2].ItemID != "c" {
		t.Errorf("ok.json = %v, %v", got, err)
	}
	for _, bad := range []string{"rising.json", "negative.json", "missing.json"} {
		if _, err := readPopular(dir, bad); err == nil {
			t.Errorf("%s: nil error", bad)
		}
	}
}

func TestReadVectors(t *testing.T) {
	dir := t.TempDir()
	vals := []float32{0.6, 0.8, 1, 0}
	buf := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	write(t, dir, "v.f32", string(buf))
	got, err := readVectors(dir, "v.f32", 2, 2)
	if err != nil || got[1] != 0.8 || got[2] != 1 {
		t.Errorf("readVectors = %v, %v", got, err)
	}
	if _, err := readVectors(dir, "v.f32", 3, 2); err == nil || !strings.Contains(err.Error(), "want 24") {
		t.Errorf("wrong size: %v", err)
	}
	binary.LittleEndian.PutUint32(buf[4:], math.Float32bits(float32(math.NaN())))
	write(t, dir, "nan.f32", string(buf))
	if _, err := readVectors(dir, "nan.f32", 2, 2); err == nil {
		t.Error("NaN vector accepted")
	}
}
