package items

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Cache serves the registered items from a Store, reading them again at most every TTL.
// A failed read keeps the last list (logged); before a first successful read the error
// is returned (callers answer without new items and say so in the log).
type Cache struct {
	store Store
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu   sync.Mutex
	list []Item
	read time.Time
	ok   bool
}

// NewCache returns a cache over store; ttl 0 reads on every call.
func NewCache(store Store, ttl time.Duration, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.Default()
	}
	return &Cache{store: store, ttl: ttl, now: time.Now, log: log}
}

// Items returns the registered items and when they were read. The slice is shared: do
// not modify it.
func (c *Cache) Items(ctx context.Context) ([]Item, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.now().Sub(c.read) < c.ttl {
		return c.list, c.read, nil
	}
	list, err := c.store.List(ctx)
	if err != nil {
		if c.ok {
			c.log.WarnContext(ctx, "registered items unreadable; using the last list read",
				"read_at", c.read, "error", err.Error())
			return c.list, c.read, nil
		}
		return nil, time.Time{}, fmt.Errorf("registered items: %w", err)
	}
	c.list, c.read, c.ok = list, c.now(), true
	return list, c.read, nil
}

// Expire makes the next Items read the store (after a registration on this instance).
func (c *Cache) Expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read = time.Time{}
}
