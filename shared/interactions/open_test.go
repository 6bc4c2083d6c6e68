package interactions

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		s       Settings
		wantErr bool
		want    string // type of the store
	}{
		{"sqlite", Settings{DBPath: filepath.Join(t.TempDir(), "x", "i.db")}, false, "*interactions.SQLiteStore"},
		{"one table only", Settings{InteractionsTable: "i", Dynamo: &flaky{}}, true, ""},
		{"tables without client", Settings{InteractionsTable: "i", PopularityTable: "p"}, true, ""},
		{"dynamo", Settings{InteractionsTable: "i", PopularityTable: "p", Dynamo: &flaky{}}, false, "*interactions.DynamoStore"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, closeFn, err := Open(ctx, tc.s)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			defer closeFn()
			if got := typeName(s); got != tc.want {
				t.Errorf("store is %s, want %s", got, tc.want)
			}
		})
	}
}

func typeName(s Store) string {
	switch s.(type) {
	case *SQLiteStore:
		return "*interactions.SQLiteStore"
	case *DynamoStore:
		return "*interactions.DynamoStore"
	}
	return "?"
}
