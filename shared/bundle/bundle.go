package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/availability"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/items"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/reload"
)

// Names of the functions (one Lambda each).
const (
	Recommend = "recommend"
	Classify  = "classify"
	Ingest    = "ingest"
	Models    = "models"
	Reload    = "reload"
)

// All lists every function, in a fixed order.
var All = []string{Recommend, Classify, Ingest, Models, Reload}

// registrar mounts the routes of one handler struct.
type registrar interface{ Register(rt *api.Router) }

// Bundle holds every part of the product, wired from one Config.
type Bundle struct {
	Config       config.Config
	Logger       *slog.Logger
	Metrics      *metrics.Emitter
	Store        modelstore.Store
	Pointer      modelstore.Pointer
	Interactions interactions.Store // nil unless recommend or ingest is built
	Availability availability.Store // the unavailable items; nil unless recommend is built
	Items        items.Store        // the items registered by text; nil unless recommend is built
	Reload       *reload.Handler    // nil unless reload is built

	built   []string
	http    map[string][]registrar // function name -> handlers with routes
	closers []func() error
	warmers []func(context.Context) error
}

// Options tune Open.
type Options struct {
	Logger *slog.Logger // nil: cfg.Logger(os.Stderr)
	// MetricsOut receives EMF lines; nil means os.Stdout.
	MetricsOut io.Writer
	// Functions names the functions to build (nil: All); a Lambda function builds
	// only itself, so that it opens only the stores and models it uses.
	Functions []string
}

// Open builds the named functions (all by default) from one configuration: the
// model store and pointer, the interactions store where recommend or ingest needs
// it, ONNX Runtime where a function runs models, the serving caches, the HTTP
// handlers and the reload handler. Models are not loaded here: each serving cache
// loads its active version on first use (Warm loads them ahead).
func Open(ctx context.Context, cfg config.Config, opts Options) (*Bundle, error) {
	b := &Bundle{Config: cfg, Logger: opts.Logger, http: map[string][]registrar{}, built: opts.Functions}
	if b.built == nil {
		b.built = All
	}
	for _, fn := range b.built {
		if !slices.Contains(All, fn) {
			return nil, fmt.Errorf("unknown function %q (have %v)", fn, All)
		}
	}
	if b.Logger == nil {
		b.Logger = cfg.Logger(os.Stderr)
	}
	out := opts.MetricsOut
	if out == nil {
		out = os.Stdout
	}
	b.Metrics = metrics.New(out, cfg.FunctionName)
	if err := b.openStores(ctx); err != nil {
		_ = b.Close()
		return nil, err
	}
	if b.builds(Ingest) {
		b.http[Ingest] = []registrar{interactions.NewHandler(b.Interactions)}
	}
	if err := b.openModels(ctx); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// builds reports whether function fn is part of the bundle.
func (b *Bundle) builds(fn string) bool { return slices.Contains(b.built, fn) }

func (b *Bundle) openStores(ctx context.Context) error {
	cfg := b.Config
	var awsCfg aws.Config // only loaded when a bucket or table is configured
	if cfg.UsesS3() || cfg.ActiveTable != "" || cfg.UsesDynamo() || cfg.AvailabilityTable != "" || cfg.ItemsTable != "" {
		var err error
		if awsCfg, err = cfg.AWS(ctx); err != nil {
			return err
		}
	}
	b.Store, b.Pointer = modelstore.Open(cfg.ModelStore(awsCfg))
	if !b.builds(Recommend) && !b.builds(Ingest) {
		return nil
	}
	store, closeStore, err := interactions.Open(ctx, interactions.SettingsFrom(cfg, awsCfg))
	if err != nil {
		return fmt.Errorf("interactions store: %w", err)
	}
	b.Interactions = store
	b.closers = append(b.closers, closeStore)
	if !b.builds(Recommend) {
		return nil
	}
	if cfg.ItemsTable != "" {
		b.Items = items.NewDynamo(cfg.DynamoDB(awsCfg), cfg.ItemsTable)
	} else {
		reg, err := items.OpenSQLite(ctx, cfg.InteractionsDB)
		if err != nil {
			return fmt.Errorf("registered items: %w", err)
		}
		b.Items = reg
		b.closers = append(b.closers, reg.Close)
	}
	if cfg.AvailabilityTable != "" {
		b.Availability = availability.NewDynamo(cfg.DynamoDB(awsCfg), cfg.AvailabilityTable)
		return nil
	}
	list, err := availability.OpenSQLite(ctx, cfg.InteractionsDB)
	if err != nil {
		return fmt.Errorf("availability list: %w", err)
	}
	b.Availability = list
	b.closers = append(b.closers, list.Close)
	return nil
}

// downloadDir is where versions fetched from S3 go (unused for a local store).
func (b *Bundle) downloadDir(use string) string {
	return filepath.Join(os.TempDir(), "mlbundle-models", use)
}

// Functions lists the names of the HTTP functions, sorted.
func (b *Bundle) Functions() []string {
	names := make([]string, 0, len(b.http))
	for n := range b.http {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Router returns a router with the routes of the named functions (all of them
// when none is named), as one Lambda function or the local server would have.
func (b *Bundle) Router(functions ...string) (*api.Router, error) {
	if len(functions) == 0 {
		functions = b.Functions()
	}
	rt := api.NewRouter(api.WithAuth(b.Config.Auth()), api.WithLogger(b.Logger))
	for _, fn := range functions {
		regs, ok := b.http[fn]
		if !ok {
			return nil, fmt.Errorf("unknown HTTP function %q (have %v)", fn, b.Functions())
		}
		for _, r := range regs {
			r.Register(rt)
		}
	}
	return rt, nil
}

// Close releases the models and stores.
func (b *Bundle) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	return errors.Join(errs...)
}
