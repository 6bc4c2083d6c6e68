package recommend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/ivf"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/ncf"
)

// Limits of a request.
const (
	MaxK          = 100
	DefaultK      = 10
	MaxScoreItems = 1000
)

// Strategies, as reported in Result.Strategy.
const (
	StrategyNCF     = "ncf"      // the model knows the user: every item scored by the model
	StrategyItemKNN = "item_knn" // unknown user, known items seen: similarity to those items
	StrategyPopular = "popular"  // nothing to personalise on: most-interacted items
)

// ErrStoreUnavailable marks a call that could not read the user's history: it fails (503)
// rather than answer without excluding what the user saw.
var ErrStoreUnavailable = errors.New("interactions store unavailable")

// ErrInvalidInput marks a caller's mistake (bad user id, k, item ids).
var ErrInvalidInput = errors.New("invalid input")

// Model is what the service needs of a loaded checkpoint; *ncf.Model provides it.
type Model interface {
	Version() string
	CreatedAt() time.Time
	NumItems() int
	UserIndex(id string) (int, bool)
	ItemIndex(id string) (int, bool)
	ItemID(i int) string
	Popular() []ncf.Popular
	ItemVector(i int) []float32
	ItemCategory(i int) string
	HasCategories() bool
	ScoreAll(ctx context.Context, user int64) ([]float32, error)
	Predict(ctx context.Context, users, items []int64) ([]float32, error)
	// HasIndex reports a retrieval index: a known user's answer then re-ranks its
	// candidates (Retrieve) instead of scoring every item.
	HasIndex() bool
	Retrieve(user int, p ivf.Probe, skip func(item int) bool) (items []int, exact bool, err error)
}

var _ Model = (*ncf.Model)(nil)

// Models lends the serving model; release must be called when the request is done.
type Models interface {
	Acquire(ctx context.Context) (m Model, release func(), err error)
}

// Store is the part of the interactions store the service reads.
type Store interface {
	Seen(ctx context.Context, userID string) (map[string]struct{}, error)
	TopItems(ctx context.Context, n int) ([]interactions.ItemCount, error)
	Forgotten(ctx context.Context, userID string) (time.Time, bool, error)
}

// Availability tells which items must not be recommended (shared/availability.Cache).
type Availability interface {
	Unavailable(ctx context.Context) (map[string]struct{}, error)
}

// Service recommends and scores items. It is safe for concurrent use.
type Service struct {
	models      Models
	store       Store
	metrics     *metrics.Emitter
	overlap     bool         // read the history while the model scores
	unavailable Availability // nil: every item is available
	newItems    NewItems     // nil: no items registered after training
	itemWriter  ItemWriter   // nil: registration refused

	placedMu   sync.Mutex
	placedMemo map[placedKey][]float32 // embeddings placed by serving, per model version

	retrieval Retrieval
}

// Retrieval is how far the two-stage answer of a model with a retrieval index reaches
// (docs/recommend.md "Two-stage retrieval").
type Retrieval struct {
	// Scan is the number of index rows scored at least (lists best centroid first).
	Scan int
	// Candidates is how many items the model re-ranks, at least the page's depth
	// (offset + k). A dot-product index orders as the model does: the depth suffices.
	Candidates int
	// PerMillion makes Scan and Candidates figures per million items: a larger
	// catalogue scales both in proportion (never below the figures themselves).
	PerMillion bool
}

// DefaultRetrieval is what BenchmarkTwoStage measured to hold recall of the exact top 10
// at 0.99 or more on trained-derived NeuMF catalogues of 20K to 5M items: 2,000
// candidates held 0.999 at 1M items but 0.967 at 5M, where 10,000 held 1.000.
var DefaultRetrieval = Retrieval{Scan: 32768, Candidates: 2000, PerMillion: true}

// probe is the search for a catalogue of items and a page reaching depth ranks deep.
func (r Retrieval) probe(items, depth int) ivf.Probe {
	scale := 1.0
	if r.PerMillion {
		scale = max(1, float64(items)/1e6)
	}
	return ivf.Probe{Scan: int(float64(r.Scan) * scale), Candidates: max(depth, int(float64(r.Candidates)*scale))}
}

// WithRetrieval sets how far the two-stage answer reaches (default DefaultRetrieval).
func WithRetrieval(r Retrieval) Option { return func(s *Service) { s.retrieval = r } }

// Option tunes a Service.
type Option func(*Service)

// OverlapReads makes a known user's history read run while the model scores all items.
// Worth it when the store is across a network (DynamoDB: a few milliseconds, hidden
// behind the model); not for the embedded SQLite store, whose reads are CPU work that
// competes with the model for the same cores (measured slower on a 2-core machine).
func OverlapReads(on bool) Option { return func(s *Service) { s.overlap = on } }

// WithAvailability leaves the items a returns out of every answer.
func WithAvailability(a Availability) Option { return func(s *Service) { s.unavailable = a } }

// New returns a service. store may be nil (no exclusions, no live popularity);
// em may be nil (no metrics).
func New(models Models, store Store, em *metrics.Emitter, opts ...Option) *Service {
	s := &Service{models: models, store: store, metrics: em, retrieval: DefaultRetrieval}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FromCache lends models from a modelstore cache.
func FromCache(c *modelstore.Cache[*ncf.Model]) Models { return cacheModels{c} }

type cacheModels struct{ c *modelstore.Cache[*ncf.Model] }

// Acquire lends the cache's current model.
func (c cacheModels) Acquire(ctx context.Context) (Model, func(), error) {
	m, err := c.c.Acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	return m.Value, m.Release, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

func checkUser(userID string) error {
	if msg := interactions.CheckID(userID); msg != "" {
		return invalid("user_id %s", msg)
	}
	return nil
}

// unavailableItems returns the items no answer may hold (none without a list). A list
// that cannot be read fails the call as a store failure (503): never an answer that may
// hold unavailable items.
func (s *Service) unavailableItems(ctx context.Context) (map[string]struct{}, error) {
	if s.unavailable == nil {
		return nil, nil
	}
	u, err := s.unavailable.Unavailable(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the availability list: %w: %w", ErrStoreUnavailable, err)
	}
	return u, nil
}

// seen returns the user's whole history of items (empty without a store).
func (s *Service) seen(ctx context.Context, userID string) (map[string]struct{}, error) {
	if s.store == nil {
		return map[string]struct{}{}, nil
	}
	seen, err := s.store.Seen(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("recommend for %q: %w: %w", userID, ErrStoreUnavailable, err)
	}
	return seen, nil
}
