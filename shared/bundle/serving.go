package bundle

import (
	"context"
	"os"

	"github.com/contentml/mlbundle/shared/availability"
	"github.com/contentml/mlbundle/shared/catalog"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/classify"
	"github.com/contentml/mlbundle/shared/items"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/recommend"
	"github.com/contentml/mlbundle/shared/reload"
)

// openModels starts ONNX Runtime where a built function runs models and wires the
// model kinds into the serving caches, the reload handler and the catalog.
//
// An ONNX Runtime that cannot start is logged, not fatal, the same way everywhere:
// the serving functions answer 503 model_unavailable until a model loads, and
// reload fails each event for a retry instead of rejecting the checkpoint.
func (b *Bundle) openModels(ctx context.Context) error {
	opts, err := classify.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	ncfKind, clsKind := ncf.Kind(onnx.Options{}), classify.Kind(opts)
	if b.builds(Recommend) || b.builds(Classify) || b.builds(Reload) {
		b.initONNX()
	}
	cat := catalog.New(b.Store, b.Pointer, b.Config.ModelTTL)
	if b.builds(Classify) {
		cls := newCache(b, clsKind)
		cat.Serving(checkpoint.Classifier, cls.Status)
		b.http[Classify] = []registrar{classify.NewHandler(cls)}
	}
	if b.builds(Recommend) {
		rec := newCache(b, ncfKind)
		cat.Serving(checkpoint.NCF, rec.Status)
		b.http[Recommend] = []registrar{recommend.NewHandler(recommend.New(recommend.FromCache(rec), b.Interactions, b.Metrics,
			recommend.OverlapReads(b.Config.UsesDynamo()), // hide DynamoDB's latency behind the model
			recommend.WithAvailability(availability.NewCache(b.Availability, b.Config.AvailabilityTTL, b.Logger)),
			recommend.WithNewItems(items.NewCache(b.Items, b.Config.ItemsTTL, b.Logger)),
			recommend.WithItemWriter(b.Items)))}
	}
	if b.builds(Models) {
		b.http[Models] = []registrar{cat}
	}
	if b.builds(Reload) {
		b.Reload = &reload.Handler{
			Store: b.Store, Pointer: b.Pointer, Bucket: b.Config.ModelsBucket, Prefix: b.Config.ModelsPrefix,
			Dir:       b.downloadDir("reload"),
			Validator: reload.Kinds{checkpoint.NCF: ncfKind.Verify, checkpoint.Classifier: clsKind.Verify},
			Metrics:   b.Metrics, Logger: b.Logger,
			AllowBelowPopularity: b.Config.AllowBelowPopularity,
		}
	}
	return nil
}

func (b *Bundle) initONNX() {
	if b.Config.ONNXRuntimeLib == "" {
		b.Logger.Warn("ONNXRUNTIME_LIB is not set: models cannot load (run scripts/onnxruntime.sh)")
	} else if err := onnx.Init(b.Config.ONNXRuntimeLib); err != nil {
		b.Logger.Warn("onnx runtime unavailable: models cannot load", "error", err.Error())
	}
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
