package availability

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Entry is one unavailable item.
type Entry struct {
	ItemID    string    `json:"item_id"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Store holds the unavailable items. Implementations are safe for concurrent use.
type Store interface {
	// List returns every unavailable item.
	List(ctx context.Context) ([]Entry, error)
	// MarkUnavailable adds the item (or updates its reason).
	MarkUnavailable(ctx context.Context, itemID, reason string) error
	// MarkAvailable removes the item; an item not listed is no error.
	MarkAvailable(ctx context.Context, itemID string) error
}

// Cache serves the unavailable set from a Store, reading it again at most every TTL.
// A failed read keeps the last list (logged); before a first successful read, the
// error is returned, since answering without the list could show unavailable items.
type Cache struct {
	store Store
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu   sync.Mutex
	set  map[string]struct{}
	read time.Time
}

// NewCache returns a cache over store; ttl 0 reads on every call.
func NewCache(store Store, ttl time.Duration, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.Default()
	}
	return &Cache{store: store, ttl: ttl, now: time.Now, log: log}
}

// Unavailable returns the set of unavailable item ids. The map is shared: do not modify it.
func (c *Cache) Unavailable(ctx context.Context) (map[string]struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set != nil && c.now().Sub(c.read) < c.ttl {
		return c.set, nil
	}
	list, err := c.store.List(ctx)
	if err != nil {
		if c.set != nil {
			c.log.WarnContext(ctx, "availability list unreadable; using the last one read",
				"read_at", c.read, "error", err.Error())
			return c.set, nil
		}
		return nil, fmt.Errorf("availability list: %w", err)
	}
	set := make(map[string]struct{}, len(list))
	for _, e := range list {
		set[e.ItemID] = struct{}{}
	}
	c.set, c.read = set, c.now()
	return set, nil
}
