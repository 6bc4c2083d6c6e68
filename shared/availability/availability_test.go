package availability

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/awstest"
)

func stores(t *testing.T) map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"sqlite": func(t *testing.T) Store {
			s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "a.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"dynamodb": func(t *testing.T) Store {
			client := awstest.DynamoDB(t)
			table := fmt.Sprintf("availability-%d", time.Now().UnixNano())
			if err := CreateTable(context.Background(), client, table); err != nil {
				t.Fatal(err)
			}
			return NewDynamo(client, table)
		},
	}
}

func ids(t *testing.T, s Store) []string {
	t.Helper()
	list, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.ItemID)
		if e.UpdatedAt.IsZero() {
			t.Errorf("%s has no updated_at", e.ItemID)
		}
	}
	slices.Sort(out)
	return out
}

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			if got := ids(t, s); len(got) != 0 {
				t.Fatalf("empty list = %v", got)
			}
			for _, id := range []string{"b", "a", "c"} {
				if err := s.MarkUnavailable(ctx, id, "sold out"); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.MarkUnavailable(ctx, "a", "withdrawn"); err != nil { // update, not a second entry
				t.Fatal(err)
			}
			if err := s.MarkAvailable(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkAvailable(ctx, "never-listed"); err != nil {
				t.Errorf("MarkAvailable of an item not listed: %v", err)
			}
			if got := ids(t, s); !slices.Equal(got, []string{"a", "c"}) {
				t.Errorf("list = %v, want a, c", got)
			}
			list, _ := s.List(ctx)
			for _, e := range list {
				if e.ItemID == "a" && e.Reason != "withdrawn" {
					t.Errorf("reason of a = %q, want the latest", e.Reason)
				}
			}
			for _, bad := range []string{"", " x", "a\x00b"} {
				if err := s.MarkUnavailable(ctx, bad, ""); !errors.Is(err, ErrInvalid) {
					t.Errorf("MarkUnavailable(%q) = %v, want ErrInvalid", bad, err)
				}
			}
		})
	}
}

// flakyStore counts reads and fails them on demand.
type flakyStore struct {
	Store
	reads int
	fail  error
}

func (f *flakyStore) List(ctx context.Context) ([]Entry, error) {
	f.reads++
	if f.fail != nil {
		return nil, f.fail
	}
	return f.Store.List(ctx)
}

func TestCacheRereadsAtMostEveryTTL(t *testing.T) {
	ctx := context.Background()
	base, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	s := &flakyStore{Store: base, fail: errors.New("table unreachable")}
	c := NewCache(s, time.Minute, nil)
	now := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	if _, err := c.Unavailable(ctx); err == nil {
		t.Fatal("no list ever read: want an error, not an empty set")
	}
	s.fail = nil
	_ = base.MarkUnavailable(ctx, "x", "")
	if set, err := c.Unavailable(ctx); err != nil || len(set) != 1 {
		t.Fatalf("first read: %v %v", set, err)
	}
	_ = base.MarkUnavailable(ctx, "y", "")
	now = now.Add(59 * time.Second)
	if set, _ := c.Unavailable(ctx); len(set) != 1 || s.reads != 2 {
		t.Errorf("within the TTL: %v after %d reads, want the cached list", set, s.reads)
	}
	now = now.Add(2 * time.Second)
	if set, _ := c.Unavailable(ctx); len(set) != 2 {
		t.Errorf("after the TTL: %v, want y too", set)
	}
	s.fail = errors.New("table unreachable")
	now = now.Add(2 * time.Minute)
	if set, err := c.Unavailable(ctx); err != nil || len(set) != 2 {
		t.Errorf("a failed re-read: %v %v, want the last list", set, err)
	}
}
