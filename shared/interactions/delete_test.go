package interactions

import (
	"context"
	"fmt"
	"testing"
)

// runDeleteContract is the deletion behaviour every Store must have; it runs as part of
// runContract.
func runDeleteContract(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("delete user removes history and their popularity", func(t *testing.T) {
		s := open(t)
		mustAdd(t, s, []Interaction{
			{UserID: "gone", ItemID: "a", Time: at(1)},
			{UserID: "gone", ItemID: "a", Time: at(2)}, // twice: counted once
			{UserID: "gone", ItemID: "b", Time: at(3)},
			{UserID: "gone", ItemID: "solo", Time: at(4)},
			{UserID: "stay", ItemID: "a", Time: at(1)},
			{UserID: "stay", ItemID: "b", Time: at(5)},
			{UserID: "other", ItemID: "a", Time: at(6)},
		})
		assertTop(t, s, 10, []ItemCount{{"a", 3}, {"b", 2}, {"solo", 1}})
		if _, ok, err := s.Forgotten(ctx, "gone"); ok || err != nil {
			t.Fatalf("Forgotten before the delete = %v, %v", ok, err)
		}
		n, err := s.DeleteUser(ctx, "gone")
		if err != nil || n != 4 {
			t.Fatalf("DeleteUser = %d, %v; want 4 interactions removed", n, err)
		}
		if at, ok, err := s.Forgotten(ctx, "gone"); !ok || err != nil || at.IsZero() {
			t.Errorf("Forgotten after the delete = %v, %v, %v", at, ok, err)
		}
		if _, ok, _ := s.Forgotten(ctx, "stay"); ok {
			t.Error("a user never deleted is reported forgotten")
		}
		assertSeen(t, s, "gone", nil)
		if got, _ := s.Recent(ctx, "gone", 10); len(got) != 0 {
			t.Errorf("Recent after delete = %+v", got)
		}
		// Other users keep everything; "solo" had no other user and leaves the ranking.
		assertTop(t, s, 10, []ItemCount{{"a", 2}, {"b", 1}})
		assertSeen(t, s, "stay", []string{"a", "b"})
		if n, err := s.DeleteUser(ctx, "gone"); err != nil || n != 0 {
			t.Errorf("second DeleteUser = %d, %v; want 0, nil", n, err)
		}
		assertTop(t, s, 10, []ItemCount{{"a", 2}, {"b", 1}})
		// The user coming back counts again, once.
		mustAdd(t, s, []Interaction{{UserID: "gone", ItemID: "a", Time: at(9)}, {UserID: "gone", ItemID: "a", Time: at(10)}})
		assertTop(t, s, 10, []ItemCount{{"a", 3}, {"b", 1}})
	})
	t.Run("delete a long history", func(t *testing.T) {
		s := open(t)
		const n = 260 // several delete batches and query pages
		for start := 0; start < n; start += MaxBatch {
			var in []Interaction
			for i := start; i < min(start+MaxBatch, n); i++ {
				in = append(in, Interaction{UserID: "long", ItemID: fmt.Sprintf("i%d", i%40), Time: at(i)})
			}
			mustAdd(t, s, in)
		}
		mustAdd(t, s, []Interaction{{UserID: "keep", ItemID: "i0", Time: at(1)}})
		got, err := s.DeleteUser(ctx, "long")
		if err != nil || got != n {
			t.Fatalf("DeleteUser = %d, %v; want %d", got, err, n)
		}
		assertSeen(t, s, "long", nil)
		assertTop(t, s, 100, []ItemCount{{"i0", 1}})
	})
}
