package modelstore

import (
	"context"
	"time"
)

// DefaultWarmBudget is the part of Lambda's 10 s init phase that Warm may spend.
const DefaultWarmBudget = 7 * time.Second

// Warm loads the active version during process start-up, within budget.
//
// Serving functions load at init rather than on the first request: Lambda runs
// init before any request is routed to the sandbox (and ahead of time with
// provisioned concurrency), so the first caller does not pay for the download
// and the ONNX session build. Init is capped at 10 s, though, and an init error
// would make Lambda throw the sandbox away, so Warm never fails the process: on
// error or timeout it logs, forgets the failure and leaves the load to the first
// Acquire (lazy fallback), which answers 503 with Retry-After while nothing is
// loadable.
func (c *Cache[T]) Warm(ctx context.Context, budget time.Duration) error {
	if budget <= 0 {
		budget = DefaultWarmBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	err := c.Refresh(ctx)
	if err != nil {
		c.mu.Lock()
		c.lastErr = nil // let the first request retry at once
		c.mu.Unlock()
		c.cfg.Logger.Warn("model not loaded at init; will load on first use", "kind", c.cfg.Kind, "error", err.Error())
	}
	return err
}
