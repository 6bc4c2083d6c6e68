package interactions

import (
	"context"
	"database/sql"
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

// TestSQLiteMigratesPerInteractionCounts opens a file written by the schema that counted
// every interaction and checks that popularity is rebuilt as distinct users.
func TestSQLiteMigratesPerInteractionCounts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE interactions (user_id TEXT NOT NULL, sk TEXT NOT NULL, item_id TEXT NOT NULL,
			ts TEXT NOT NULL, event TEXT, weight REAL, PRIMARY KEY (user_id, sk)) WITHOUT ROWID`,
		`CREATE TABLE popularity (item_id TEXT PRIMARY KEY, count INTEGER NOT NULL)`,
		`INSERT INTO interactions VALUES ('u1','1#a','a','t',NULL,NULL), ('u1','2#a','a','t',NULL,NULL),
			('u1','3#a','a','t',NULL,NULL), ('u2','1#b','b','t',NULL,NULL), ('u3','1#b','b','t',NULL,NULL)`,
		`INSERT INTO popularity VALUES ('a', 3), ('b', 2)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertTop(t, s, 5, []ItemCount{{"b", 2}, {"a", 1}})
	mustAdd(t, s, []Interaction{{UserID: "u1", ItemID: "a", Time: at(9)}, {UserID: "u4", ItemID: "a", Time: at(9)}})
	assertTop(t, s, 5, []ItemCount{{"a", 2}, {"b", 2}})
}
