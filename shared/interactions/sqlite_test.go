package interactions

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSQLiteContract(t *testing.T) {
	runContract(t, func(t *testing.T) Store {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "sub", "i.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestSQLiteReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, []Interaction{{UserID: "u", ItemID: "a", Time: at(0)}})
	_ = s.Close()
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertSeen(t, s, "u", []string{"a"})
}
