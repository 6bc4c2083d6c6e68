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
)

// openServing wires the recommend, classify and ingest handlers.
func (b *Bundle) openServing(ctx context.Context) error {
	opts, err := classify.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	cls := newCache(b, checkpoint.Classifier, classify.Loader(opts), (*classify.Model).Close,
		modelstore.ClassifierSkip(opts.FP32))
	b.http[Classify] = []registrar{classify.NewHandler(cls)}
	loadNCF := func(ctx context.Context, m *checkpoint.Manifest, dir string) (*ncf.Model, error) {
		return ncf.Load(ctx, m, dir, onnx.Options{})
	}
	rec := newCache(b, checkpoint.NCF, loadNCF, (*ncf.Model).Close, nil)
	b.http[Recommend] = []registrar{recommend.NewHandler(recommend.New(recommend.FromCache(rec), b.Interactions, b.Metrics,
		recommend.OverlapReads(b.Config.UsesDynamo())))}
	return nil
}

// newCache returns the serving cache of one kind and registers its warm-up and
// close; skip names the checkpoint files that serving never reads (nil: none).
func newCache[T any](b *Bundle, kind checkpoint.Kind, load modelstore.LoadFunc[T], closeFn modelstore.CloseFunc[T], skip modelstore.SkipFunc) *modelstore.Cache[T] {
	c := modelstore.NewCache(modelstore.CacheConfig{
		Kind: kind, Store: b.Store, Pointer: b.Pointer, Dir: b.downloadDir("serve"),
		TTL: b.Config.ModelTTL, Logger: b.Logger, Skip: skip,
	}, load, closeFn)
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
