package items

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/awstest"
)

func stores() map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"sqlite": func(t *testing.T) Store {
			s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "i.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"dynamodb": func(t *testing.T) Store {
			client := awstest.DynamoDB(t)
			table := fmt.Sprintf("items-%d", time.Now().UnixNano())
			if err := CreateTable(context.Background(), client, table); err != nil {
				t.Fatal(err)
			}
			return NewDynamo(client, table)
		},
	}
}

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			if got, err := s.List(ctx); err != nil || len(got) != 0 {
				t.Fatalf("empty store: %v, %v", got, err)
			}
			emb := []float32{0.5, -1.25, 3}
			if err := s.Put(ctx, Item{ItemID: "n2", Text: Text{Title: "Rocket"}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, Item{ItemID: "n1", Text: Text{Title: "Old", Description: "x"}}); err != nil {
				t.Fatal(err)
			}
			// an update replaces the text, the placement and the category
			up := Item{ItemID: "n1", Text: Text{Title: "Space rocket", Description: "orbit\nplanet", Category: "space"},
				Embedding: emb, ModelVersion: "v7"}
			if err := s.Put(ctx, up); err != nil {
				t.Fatal(err)
			}
			got, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(got, func(a, b Item) int { return strings.Compare(a.ItemID, b.ItemID) })
			if len(got) != 2 {
				t.Fatalf("got %d items, want 2: %+v", len(got), got)
			}
			g := got[0]
			if g.ItemID != "n1" || g.Text != up.Text || g.ModelVersion != "v7" || !slices.Equal(g.Embedding, emb) || g.UpdatedAt.IsZero() {
				t.Fatalf("n1 = %+v, want %+v", g, up)
			}
			if got[1].Embedding != nil || got[1].ModelVersion != "" || got[1].Title != "Rocket" {
				t.Fatalf("n2 = %+v", got[1])
			}
			if err := s.Put(ctx, Item{ItemID: "", Text: Text{Title: "x"}}); !errors.Is(err, ErrInvalid) {
				t.Fatalf("bad id: %v", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		id   string
		text Text
		want string // "" valid
	}{
		{"valid", "n1", Text{Title: "A title", Description: "line one\nline two\ttab", Category: "news"}, ""},
		{"title only", "n1", Text{Title: "T"}, ""},
		{"empty id", "", Text{Title: "T"}, "item_id"},
		{"control in id", "n\x01", Text{Title: "T"}, "item_id"},
		{"no title", "n1", Text{Description: "d"}, "title is required"},
		{"blank title", "n1", Text{Title: "  "}, "title is required"},
		{"long title", "n1", Text{Title: strings.Repeat("a", MaxTitleBytes+1)}, "title must be at most"},
		{"newline in title", "n1", Text{Title: "a\nb"}, "title must be valid UTF-8"},
		{"bad utf-8 title", "n1", Text{Title: "a\xffb"}, "title must be valid UTF-8"},
		{"long description", "n1", Text{Title: "T", Description: strings.Repeat("d", MaxDescriptionBytes+1)}, "description must be at most"},
		{"control in description", "n1", Text{Title: "T", Description: "a\x00b"}, "description must be valid"},
		{"bad category", "n1", Text{Title: "T", Category: "a\x02"}, "category"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.id, tc.text)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestJoined(t *testing.T) {
	if got := (Text{Title: "T"}).Joined(); got != "T" {
		t.Fatal(got)
	}
	if got := (Text{Title: "T", Description: "D"}).Joined(); got != "T. D" {
		t.Fatal(got)
	}
}

// flaky fails List when fail is set.
type flaky struct {
	items []Item
	fail  bool
	reads int
}

func (f *flaky) Put(context.Context, Item) error { return nil }
func (f *flaky) List(context.Context) ([]Item, error) {
	f.reads++
	if f.fail {
		return nil, errors.New("throttled")
	}
	return f.items, nil
}

func TestCacheTTLAndFailures(t *testing.T) {
	ctx := context.Background()
	f := &flaky{fail: true}
	c := NewCache(f, time.Minute, nil)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	if _, _, err := c.Items(ctx); err == nil {
		t.Fatal("a failed first read must fail")
	}
	f.fail, f.items = false, []Item{{ItemID: "a"}}
	got, _, err := c.Items(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("Items = %v, %v", got, err)
	}
	f.items = []Item{{ItemID: "a"}, {ItemID: "b"}}
	if got, _, _ := c.Items(ctx); len(got) != 1 || f.reads != 2 {
		t.Fatalf("within the TTL: %d items after %d reads", len(got), f.reads)
	}
	now = now.Add(time.Minute)
	if got, _, _ := c.Items(ctx); len(got) != 2 {
		t.Fatalf("after the TTL: %d items", len(got))
	}
	now, f.fail = now.Add(time.Minute), true
	if got, _, err := c.Items(ctx); err != nil || len(got) != 2 {
		t.Fatalf("a failed re-read keeps the last list: %v, %v", got, err)
	}
}

func TestEmbeddingCodec(t *testing.T) {
	v := []float32{1, -2.5, 0, 1e-30}
	got, err := decode(encode(v))
	if err != nil || !slices.Equal(got, v) {
		t.Fatalf("round trip = %v, %v", got, err)
	}
	if _, err := decode([]byte{1, 2, 3}); err == nil {
		t.Fatal("3 bytes decoded")
	}
}
