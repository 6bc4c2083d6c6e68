package interactions

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// base is a fixed instant so that expected timestamps are exact.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func fptr(v float64) *float64 { return &v }

// runContract runs the behaviour every Store must have; open returns a fresh, empty store.
func runContract(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("round trip newest first", func(t *testing.T) {
		s := open(t)
		in := []Interaction{
			{UserID: "u1", ItemID: "a", Time: at(1), Event: "view", Category: "news"},
			{UserID: "u1", ItemID: "b", Time: at(3), Weight: fptr(2.5)},
			{UserID: "u1", ItemID: "c", Time: at(2).Add(500 * time.Millisecond)},
			{UserID: "u2", ItemID: "a", Time: at(1)},
		}
		mustAdd(t, s, in)
		got, err := s.Recent(ctx, "u1", 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []Interaction{in[1], in[2], in[0]}
		if len(got) != len(want) {
			t.Fatalf("Recent: got %d interactions, want %d", len(got), len(want))
		}
		for i := range want {
			if !sameInteraction(got[i], want[i]) {
				t.Errorf("Recent[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		if got, _ := s.Recent(ctx, "u1", 2); len(got) != 2 || got[1].ItemID != "c" {
			t.Errorf("Recent limit 2 = %+v, want b, c", got)
		}
		assertSeen(t, s, "u1", []string{"a", "b", "c"})
		assertSeen(t, s, "nobody", nil)
	})
	t.Run("duplicates stored once, a user counted once per item", func(t *testing.T) {
		s := open(t)
		x := Interaction{UserID: "u1", ItemID: "a", Time: at(5)}
		mustAdd(t, s, []Interaction{x, x})
		mustAdd(t, s, []Interaction{x})
		same := x
		same.Time = at(5).In(time.FixedZone("x", 3600)) // same instant, other zone
		mustAdd(t, s, []Interaction{same})
		if got, _ := s.Recent(ctx, "u1", 10); len(got) != 1 {
			t.Errorf("after duplicates Recent has %d, want 1", len(got))
		}
		assertTop(t, s, 10, []ItemCount{{"a", 1}})
		mustAdd(t, s, []Interaction{{UserID: "u1", ItemID: "a", Time: at(6)}})
		if got, _ := s.Recent(ctx, "u1", 10); len(got) != 2 {
			t.Errorf("a second event at another time: Recent has %d, want 2", len(got))
		}
		assertTop(t, s, 10, []ItemCount{{"a", 1}}) // the same user again
		mustAdd(t, s, []Interaction{{UserID: "u2", ItemID: "a", Time: at(6)}})
		assertTop(t, s, 10, []ItemCount{{"a", 2}})
		assertSeen(t, s, "u1", []string{"a"})
	})
	t.Run("top items by count", func(t *testing.T) {
		s := open(t)
		var in []Interaction
		for item, n := range map[string]int{"x": 3, "y": 1, "z": 5, "w": 2} {
			for i := range n {
				in = append(in, Interaction{UserID: fmt.Sprintf("u%d", i), ItemID: item, Time: at(i)})
			}
		}
		mustAdd(t, s, in)
		assertTop(t, s, 3, []ItemCount{{"z", 5}, {"x", 3}, {"w", 2}})
		assertTop(t, s, 0, nil)
	})
	t.Run("one caller flooding an item moves it by one user", func(t *testing.T) {
		s := open(t)
		var real []Interaction
		for u := range 3 {
			real = append(real, Interaction{UserID: fmt.Sprintf("r%d", u), ItemID: "liked", Time: at(u)})
		}
		mustAdd(t, s, real)
		for b := range 5 { // 500 events, each at its own time, in five calls
			batch := make([]Interaction, MaxBatch)
			for i := range batch {
				batch[i] = Interaction{UserID: "flooder", ItemID: "bought", Time: at(b*MaxBatch + i)}
			}
			mustAdd(t, s, batch)
		}
		assertTop(t, s, 5, []ItemCount{{"liked", 3}, {"bought", 1}})
		if got, _ := s.Recent(ctx, "flooder", 1000); len(got) != 500 {
			t.Errorf("flooder's history has %d events, want all 500 stored", len(got))
		}
	})
	t.Run("validation", func(t *testing.T) { runValidation(t, open(t)) })
	runDeleteContract(t, open)
	t.Run("whole history of 10000", func(t *testing.T) {
		s := open(t)
		// 9700 events over 300 repeated items, then 300 items seen once, only in the
		// newest events: a reader that stops after the first page misses them.
		const n, repeated, once = 10000, 300, 300
		in := make([]Interaction, n)
		for i := range in {
			item := fmt.Sprintf("item-%05d", i%repeated)
			if i >= n-once {
				item = fmt.Sprintf("item-%05d", i)
			}
			in[i] = Interaction{UserID: "heavy", ItemID: item, Time: at(i)}
		}
		mustAdd(t, s, in)
		seen, err := s.Seen(ctx, "heavy")
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != repeated+once {
			t.Fatalf("Seen has %d items, want %d", len(seen), repeated+once)
		}
		for _, x := range []string{"item-00000", "item-00299", "item-09700", "item-09999"} {
			if _, ok := seen[x]; !ok {
				t.Errorf("Seen lacks %s", x)
			}
		}
		all, err := s.Recent(ctx, "heavy", 2*n)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != n || all[0].ItemID != "item-09999" || all[n-1].ItemID != "item-00000" {
			t.Errorf("Recent(all): %d interactions, want %d newest first", len(all), n)
		}
	})
	t.Run("concurrent adds count exactly", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 8 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				batch := make([]Interaction, 10)
				for i := range batch {
					batch[i] = Interaction{UserID: fmt.Sprintf("w%d", w), ItemID: "hot", Time: at(i)}
				}
				errs <- s.Add(ctx, batch)
			}()
			go func() { // one user from eight writers at once still counts once
				defer wg.Done()
				errs <- s.Add(ctx, []Interaction{{UserID: "same", ItemID: "warm", Time: at(100 + w)}})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		assertTop(t, s, 2, []ItemCount{{"hot", 8}, {"warm", 1}})
	})
}

func runValidation(t *testing.T, s Store) {
	ok := Interaction{UserID: "u", ItemID: "i", Time: at(0)}
	with := func(f func(*Interaction)) Interaction { x := ok; f(&x); return x }
	cases := []struct {
		name  string
		x     Interaction
		field string
	}{
		{"empty user", with(func(x *Interaction) { x.UserID = "" }), "user_id"},
		{"blank user", with(func(x *Interaction) { x.UserID = "  \t" }), "user_id"},
		{"long user", with(func(x *Interaction) { x.UserID = strings.Repeat("u", MaxIDBytes+1) }), "user_id"},
		{"bad utf8 item", with(func(x *Interaction) { x.ItemID = "a\xffb" }), "item_id"},
		{"control char item", with(func(x *Interaction) { x.ItemID = "a\nb" }), "item_id"},
		{"empty item", with(func(x *Interaction) { x.ItemID = "" }), "item_id"},
		{"zero time", with(func(x *Interaction) { x.Time = time.Time{} }), "timestamp"},
		{"before 1970", with(func(x *Interaction) { x.Time = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }), "timestamp"},
		{"far future", with(func(x *Interaction) { x.Time = time.Now().Add(48 * time.Hour) }), "timestamp"},
		{"long event", with(func(x *Interaction) { x.Event = strings.Repeat("e", MaxEventBytes+1) }), "event"},
		{"nan weight", with(func(x *Interaction) { x.Weight = fptr(math.NaN()) }), "weight"},
		{"inf weight", with(func(x *Interaction) { x.Weight = fptr(math.Inf(1)) }), "weight"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Add(ctx, []Interaction{ok, tc.x})
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Add: err = %v, want a *ValidationError", err)
			}
			if ve.Index != 1 || ve.Field != tc.field {
				t.Errorf("error names interaction %d field %q, want 1 %q", ve.Index, ve.Field, tc.field)
			}
			assertSeen(t, s, "u", nil) // the valid first interaction was not written either
		})
	}
}

func mustAdd(t *testing.T, s Store, in []Interaction) {
	t.Helper()
	if err := s.Add(context.Background(), in); err != nil {
		t.Fatalf("Add: %v", err)
	}
}

func sameInteraction(a, b Interaction) bool {
	wa, wb := math.NaN(), math.NaN()
	if a.Weight != nil {
		wa = *a.Weight
	}
	if b.Weight != nil {
		wb = *b.Weight
	}
	sameW := (a.Weight == nil && b.Weight == nil) || wa == wb
	return a.UserID == b.UserID && a.ItemID == b.ItemID && a.Time.Equal(b.Time) && a.Event == b.Event && sameW &&
		a.Category == b.Category
}

func assertSeen(t *testing.T, s Store, user string, want []string) {
	t.Helper()
	got, err := s.Seen(context.Background(), user)
	if err != nil {
		t.Fatalf("Seen(%s): %v", user, err)
	}
	if len(got) != len(want) {
		t.Fatalf("Seen(%s) = %v, want %v", user, got, want)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("Seen(%s) lacks %s", user, w)
		}
	}
}

func assertTop(t *testing.T, s Store, n int, want []ItemCount) {
	t.Helper()
	got, err := s.TopItems(context.Background(), n)
	if err != nil {
		t.Fatalf("TopItems(%d): %v", n, err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("TopItems(%d) = %v, want %v", n, got, want)
	}
}
