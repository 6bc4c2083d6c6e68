package ncf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCategories(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // error substring; "" = valid
	}{
		{"valid, some without", `["news", "", "sport"]`, ""},
		{"count differs", `["news", "sport"]`, "has 2 categories, manifest says 3 items"},
		{"not strings", `[1, 2, 3]`, "want a JSON array of strings"},
		{"control character", `["news", "a\u0001b", ""]`, "[1] must be valid text"},
		{"too long", `["` + strings.Repeat("x", maxCategoryBytes+1) + `", "", ""]`, "[0] must be valid text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "item_categories.json"), []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readCategories(dir, "item_categories.json", 3)
			if tc.want == "" {
				if err != nil || len(got) != 3 || got[0] != "news" || got[1] != "" {
					t.Errorf("got %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
