package modelstore

import (
	"context"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// Kind is one model kind, defined once by the package that serves it (ncf.Kind,
// classify.Kind): how serving loads a version (Load also checks the kind's ONNX
// input/output contract), which files serving does not fetch, and how a version
// proves itself before promotion. The serving caches and reload both take their
// knowledge of a kind from here, so that reload promotes only what serving loads.
type Kind[T any] struct {
	Name  checkpoint.Kind
	Load  LoadFunc[T]
	Close CloseFunc[T]
	// Skip names the files serving does not fetch beyond the manifest's training
	// files (nil: none).
	Skip SkipFunc
	// Verify proves a fetched, hash-verified version before promotion: it loads
	// the version exactly as serving does (every variant serving may run) and runs
	// parity.json against the loaded model, whose every graph must be covered by a
	// check. A load failure wraps checkpoint.ErrUnloadable; a failure of the
	// environment (ONNX Runtime unavailable) wraps onnx.ErrUnavailable.
	Verify func(ctx context.Context, m *checkpoint.Manifest, dir string) error
}

// Cache returns the serving cache of the kind under cfg (whose Kind and Skip it sets).
func (k Kind[T]) Cache(cfg CacheConfig) *Cache[T] {
	cfg.Kind, cfg.Skip = k.Name, k.Skip
	return NewCache(cfg, k.Load, k.Close)
}
