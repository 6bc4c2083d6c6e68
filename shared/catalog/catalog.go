package catalog

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// Status values of a kind in the catalog.
const (
	StatusActive = "active" // a version is promoted and its manifest is readable
	StatusNone   = "none"   // nothing promoted yet
	StatusError  = "error"  // the pointer or manifest could not be read (logged)
)

// Entry describes the active version of one kind.
type Entry struct {
	Kind        checkpoint.Kind    `json:"kind"`
	Status      string             `json:"status"`
	Version     string             `json:"version,omitempty"`
	CreatedAt   *time.Time         `json:"created_at,omitempty"`
	GitRevision string             `json:"git_revision,omitempty"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Data        map[string]any     `json:"data,omitempty"`
	NumUsers    int                `json:"num_users,omitempty"`
	NumItems    int                `json:"num_items,omitempty"`
	NumLabels   int                `json:"num_labels,omitempty"`
	Int8        bool               `json:"int8,omitempty"`
	Message     string             `json:"message,omitempty"`
	// Promotion is how the active version got there: who, why, when, whether a rollback
	// pins it, and the version it replaced (what to roll back to).
	Promotion *Promotion `json:"promotion,omitempty"`
}

// Promotion is the record the active pointer keeps of its last write.
type Promotion struct {
	PromotedAt *time.Time           `json:"promoted_at,omitempty"`
	PromotedBy string               `json:"promoted_by,omitempty"`
	Reason     string               `json:"reason,omitempty"`
	Pinned     bool                 `json:"pinned"`
	Previous   *checkpoint.Previous `json:"previous,omitempty"`
}

// promotion returns a's record (nil for a pointer written before records existed).
func promotion(a checkpoint.Active) *Promotion {
	if a.PromotedAt.IsZero() && a.PromotedBy == "" && a.Previous == nil {
		return nil
	}
	p := &Promotion{PromotedBy: a.PromotedBy, Reason: a.Reason, Pinned: a.Pinned, Previous: a.Previous}
	if !a.PromotedAt.IsZero() {
		at := a.PromotedAt.UTC()
		p.PromotedAt = &at
	}
	return p
}

// Answer is the body of GET /v1/models.
type Answer struct {
	Models []Entry `json:"models"`
}

// Catalog serves the operational routes.
type Catalog struct {
	store   modelstore.Store
	pointer modelstore.Pointer
	ttl     time.Duration
	now     func() time.Time

	serving map[checkpoint.Kind]func() modelstore.Status

	mu     sync.Mutex
	cached *Answer
	at     time.Time
}

// New returns a catalog over the model store and the active pointers; answers are
// reused for ttl (0: read on every call).
func New(store modelstore.Store, pointer modelstore.Pointer, ttl time.Duration) *Catalog {
	return &Catalog{store: store, pointer: pointer, ttl: ttl, now: time.Now, serving: map[checkpoint.Kind]func() modelstore.Status{}}
}

// Serving tells a catalog that runs in the process serving kind (the local
// server) where to learn which version serves (modelstore.Cache.Status), so that
// it never reports a version that failed to load there. Without it the catalog
// reports the promoted version, which reload promotes only once it loads.
func (c *Catalog) Serving(kind checkpoint.Kind, status func() modelstore.Status) {
	c.serving[kind] = status
}

// Register mounts GET /v1/models and GET /healthz.
func (c *Catalog) Register(rt *api.Router) {
	rt.Handle(http.MethodGet, "/v1/models", c.Models)
	rt.Handle(http.MethodGet, "/healthz", c.Health)
}

// Health answers 200 {"status":"ok"} while the process serves.
func (c *Catalog) Health(context.Context, *api.Request) (*api.Response, error) {
	return api.JSON(http.StatusOK, map[string]string{"status": "ok"}), nil
}

// Models answers the active version of every kind.
func (c *Catalog) Models(ctx context.Context, r *api.Request) (*api.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached != nil && c.now().Sub(c.at) < c.ttl {
		return api.JSON(http.StatusOK, c.cached), nil
	}
	ans := &Answer{Models: make([]Entry, 0, len(checkpoint.Kinds))}
	for _, kind := range checkpoint.Kinds {
		ans.Models = append(ans.Models, c.entry(ctx, kind))
	}
	c.cached, c.at = ans, c.now()
	return api.JSON(http.StatusOK, ans), nil
}

func (c *Catalog) entry(ctx context.Context, kind checkpoint.Kind) Entry {
	log := api.Logger(ctx)
	a, err := c.pointer.Get(ctx, kind)
	if errors.Is(err, modelstore.ErrNotFound) {
		return Entry{Kind: kind, Status: StatusNone, Message: "no version has been promoted"}
	}
	if err != nil {
		log.Error("read active pointer", "kind", kind, "error", err.Error())
		return Entry{Kind: kind, Status: StatusError, Message: "the active version could not be read"}
	}
	version, note := a.Version, ""
	if status, ok := c.serving[kind]; ok {
		if s := status(); s.Failed == a.Version {
			if s.Serving == "" {
				return Entry{Kind: kind, Status: StatusError, Message: "the promoted version could not be loaded"}
			}
			version, note = s.Serving, "the promoted version could not be loaded; the previous version serves"
		}
	}
	m, err := modelstore.ReadManifest(ctx, c.store, kind, version)
	if err != nil {
		log.Error("read active manifest", "kind", kind, "version", version, "error", err.Error())
		return Entry{Kind: kind, Status: StatusError, Version: version,
			Message: "the manifest of the active version could not be read"}
	}
	created := m.CreatedAt.UTC()
	e := Entry{Kind: kind, Status: StatusActive, Version: m.Version, CreatedAt: &created,
		GitRevision: m.GitRevision, Metrics: m.Metrics, Data: m.Data, Message: note}
	if version == a.Version { // the record describes the promoted version, not one that serves in its place
		e.Promotion = promotion(a)
	}
	if m.NCF != nil {
		e.NumUsers, e.NumItems = m.NCF.NumUsers, m.NCF.NumItems
	}
	if m.Classifier != nil {
		e.NumLabels, e.Int8 = len(m.Classifier.Labels), m.Classifier.Int8File != ""
	}
	return e
}
