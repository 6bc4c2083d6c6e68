package bundle

import (
	"context"
	"os"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/recommend"
	"github.com/contentml/mlbundle/shared/reload"
)

// openServing wires the recommend, classify and ingest handlers.
func (b *Bundle) openServing(ctx context.Context) error {
	opts, err := classify.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	cls := newCache(b, classify.Kind(opts))
	b.http[Classify] = []registrar{classify.NewHandler(cls)}
	rec := newCache(b, ncf.Kind(onnx.Options{}))
	b.http[Recommend] = []registrar{recommend.NewHandler(recommend.New(recommend.FromCache(rec), b.Interactions, b.Metrics,
		recommend.OverlapReads(b.Config.UsesDynamo())))}
	return nil
}

// newCache returns the serving cache of one kind and registers its warm-up and
// close.
func newCache[T any](b *Bundle, kind modelstore.Kind[T]) *modelstore.Cache[T] {
	c := kind.Cache(modelstore.CacheConfig{
		Store: b.Store, Pointer: b.Pointer, Dir: b.downloadDir("serve"),
		TTL: b.Config.ModelTTL, Logger: b.Logger,
	})
	b.warmers = append(b.warmers, func(ctx context.Context) error { return c.Warm(ctx, 0) })
	b.closers = append(b.closers, c.Close)
	return c
}

// Warm loads the active models now, so that the first request does not wait; a
// failure is logged and left to the first request (503 until a model loads).
func (b *Bundle) Warm(ctx context.Context) {
	for _, w := range b.warmers {
		_ = w(ctx)
	}
}

// Validator is reload's check of every kind: each kind's Verify, loading a
// version exactly as the serving caches above do (both classifier variants).
func Validator() reload.Kinds {
	return reload.Kinds{
		checkpoint.NCF:        ncf.Kind(onnx.Options{}).Verify,
		checkpoint.Classifier: classify.Kind(classify.Options{}).Verify,
	}
}
