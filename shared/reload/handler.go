package reload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/metrics"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/shared/onnx"
)

// Metrics receives the reload counters (*metrics.Emitter has these methods).
type Metrics interface {
	Count(name string, n float64, props map[string]string)
	Duration(name string, d time.Duration, props map[string]string)
}

// Handler verifies and promotes the checkpoints that S3 events announce.
type Handler struct {
	Store   modelstore.Store
	Pointer modelstore.Pointer
	// Bucket, when set, is the only bucket whose events are handled.
	Bucket string
	// Prefix is the key prefix of the model store in the bucket ("models/").
	Prefix string
	// Dir receives downloaded versions (/tmp/models on Lambda); a copy is removed
	// once checked.
	Dir string
	// Validator decides whether a verified download may serve (Kinds in the
	// product); required.
	Validator Validator
	Metrics   Metrics // nil: no metrics
	Logger    *slog.Logger
	// AllowBelowPopularity turns the quality gate (CheckQuality) into a warning:
	// an ncf version that does not beat its popularity baseline on validation is
	// promoted anyway (RELOAD_ALLOW_BELOW_POPULARITY, an operator's override).
	AllowBelowPopularity bool
}

// Outcome says what happened to one manifest.
type Outcome string

// Outcomes of Process.
const (
	Promoted Outcome = "promoted" // verified and now active
	Rejected Outcome = "rejected" // failed verification: counted, not retried
	Stale    Outcome = "stale"    // older than the active version: left alone
	Ignored  Outcome = "ignored"  // not a manifest of a known kind in this store
	Failed   Outcome = "failed"   // transient failure: the error asks for a retry
)

// Result reports what happened to one S3 object.
type Result struct {
	Bucket, Key string
	Kind        checkpoint.Kind
	Version     string
	Outcome     Outcome
	// Reason is a short code for Rejected (integrity, invalid_manifest, parity,
	// onnx_io, unloadable, missing_file, quality) or a note for Ignored.
	Reason string
	// Err is the verification failure of a rejected artifact.
	Err error
}

// ParseKey splits "<prefix><kind>/<version>/manifest.json" (URL-encoded, as S3
// events carry keys) into kind and version; ok is false for any other key.
func ParseKey(prefix, rawKey string) (kind checkpoint.Kind, version string, ok bool) {
	key, err := url.QueryUnescape(rawKey)
	if err != nil || !strings.HasPrefix(key, prefix) {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(key, prefix), "/")
	if len(parts) != 3 || parts[2] != checkpoint.ManifestFile {
		return "", "", false
	}
	kind, version = checkpoint.Kind(parts[0]), parts[1]
	if !checkpoint.ValidKind(kind) || !checkpoint.ValidVersion(version) {
		return "", "", false
	}
	return kind, version, true
}

// Process verifies the version whose manifest is bucket/key and promotes it. The
// error is non-nil only for a transient failure (Outcome Failed) worth a retry.
func (h *Handler) Process(ctx context.Context, bucket, key string) (Result, error) {
	r := Result{Bucket: bucket, Key: key, Outcome: Ignored}
	kind, version, ok := ParseKey(h.Prefix, key)
	switch {
	case !ok:
		r.Reason = fmt.Sprintf("key is not %s<kind>/<version>/%s", h.Prefix, checkpoint.ManifestFile)
	case h.Bucket != "" && bucket != h.Bucket:
		r.Reason = "bucket is not " + h.Bucket
	}
	if r.Reason != "" {
		h.logger().InfoContext(ctx, "reload: event ignored", "bucket", bucket, "key", key, "reason", r.Reason)
		h.count(metrics.ReloadIgnored, r)
		return r, nil
	}
	r.Kind, r.Version = kind, version
	start := time.Now()
	err := h.promote(ctx, kind, version)
	return h.finish(ctx, r, err, time.Since(start))
}

// promote checks one version and moves the pointer to it. The pointer moves
// forward in created_at order, so a late or repeated event of an older version
// never rolls back a newer one (ErrStale), unless the newer active version itself
// fails the check that every promotion passes (it cannot load, for instance after
// a change of this check): then the older, loadable version replaces it, on
// condition that the pointer still names the version found unloadable.
func (h *Handler) promote(ctx context.Context, kind checkpoint.Kind, version string) error {
	m, err := modelstore.ReadManifest(ctx, h.Store, kind, version)
	if err != nil {
		return err
	}
	cur, err := h.Pointer.Get(ctx, kind)
	if errors.Is(err, modelstore.ErrCorruptPointer) {
		h.logger().ErrorContext(ctx, "reload: the active pointer is corrupt; promoting this version replaces it",
			"kind", kind, "candidate", version, "error", err.Error())
		h.count(metrics.PointerCorrupt, Result{Kind: kind, Version: version})
	}
	older := err == nil && cur.CreatedAt.After(m.CreatedAt)
	a := m.Active()
	a.PromotedBy, a.Reason = PromotedByReload, "checkpoint published: "+h.Prefix+string(kind)+"/"+version+"/"+checkpoint.ManifestFile
	if older {
		verr := h.check(ctx, kind, cur.Version)
		if verr == nil {
			return fmt.Errorf("%s/%s created %s, active %s created %s: %w", kind, version,
				m.CreatedAt.Format(time.RFC3339), cur.Version, cur.CreatedAt.Format(time.RFC3339), modelstore.ErrStale)
		}
		if rejection(verr) == "" {
			return fmt.Errorf("check active %s/%s: %w", kind, cur.Version, verr)
		}
		h.logger().WarnContext(ctx, "reload: the active version fails its check; an older loadable version may replace it",
			"kind", kind, "active", cur.Version, "candidate", version, "reason", rejection(verr), "error", verr.Error())
		a.Reason = "the active version " + cur.Version + " fails its check (" + rejection(verr) + ")"
	}
	if err := h.check(ctx, kind, version); err != nil {
		return err
	}
	if older {
		return h.Pointer.Replace(ctx, a, cur)
	}
	return h.Pointer.Promote(ctx, a)
}

// check fetches and validates one version; the downloaded copy is removed after.
func (h *Handler) check(ctx context.Context, kind checkpoint.Kind, version string) error {
	if h.Validator == nil {
		return errors.New("reload: handler has no validator")
	}
	m, dir, err := modelstore.Fetch(ctx, h.Store, kind, version, h.Dir)
	if err != nil {
		return err
	}
	if _, inPlace := h.Store.(*modelstore.Local); !inPlace {
		defer os.RemoveAll(dir)
	}
	if err := CheckQuality(m); err != nil {
		if !h.AllowBelowPopularity {
			return err
		}
		h.logger().WarnContext(ctx, "reload: quality gate overridden (RELOAD_ALLOW_BELOW_POPULARITY)",
			"kind", kind, "version", version, "error", err.Error())
	}
	return validate(ctx, h.Validator, m, dir)
}

// validate runs v and turns a panic into a rejection: an artifact that crashes
// validation must not take the function's process (and warm sandbox) with it.
func validate(ctx context.Context, v Validator, m *checkpoint.Manifest, dir string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: validation panicked: %v", ErrRejected, p)
		}
	}()
	return v.Validate(ctx, m, dir)
}

func (h *Handler) finish(ctx context.Context, r Result, err error, took time.Duration) (Result, error) {
	log := h.logger().With("bucket", r.Bucket, "key", r.Key, "kind", r.Kind, "version", r.Version)
	switch reason := rejection(err); {
	case err == nil:
		r.Outcome = Promoted
		log.InfoContext(ctx, "reload: version promoted", "took_ms", took.Milliseconds())
		h.count(metrics.ReloadPromoted, r)
		if h.Metrics != nil {
			h.Metrics.Duration(metrics.ModelLoadMillis, took, map[string]string{"kind": string(r.Kind), "version": r.Version})
		}
	case errors.Is(err, modelstore.ErrStale):
		r.Outcome, r.Reason = Stale, "a newer version is active"
		log.InfoContext(ctx, "reload: older version not promoted", "error", err.Error())
	case reason != "":
		r.Outcome, r.Reason, r.Err = Rejected, reason, err
		log.ErrorContext(ctx, "reload: artifact rejected; the active version keeps serving", "reason", reason, "error", err.Error())
		h.count(metrics.ReloadRejected, r)
	default:
		r.Outcome, r.Err = Failed, err
		log.ErrorContext(ctx, "reload: failed, will be retried", "error", err.Error())
		return r, fmt.Errorf("reload %s: %w", r.Key, err)
	}
	return r, nil
}

// rejection names why an artifact can never be promoted ("" when the failure may
// be transient or lies in the environment, such as ONNX Runtime not initialised,
// which must be retried rather than blamed on the artifact).
func rejection(err error) string {
	switch {
	case err == nil, errors.Is(err, onnx.ErrUnavailable),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ""
	case errors.Is(err, checkpoint.ErrIntegrity):
		return "integrity"
	case errors.Is(err, checkpoint.ErrInvalid):
		return "invalid_manifest"
	case errors.Is(err, checkpoint.ErrParity):
		return "parity"
	case errors.Is(err, onnx.ErrMismatch):
		return "onnx_io"
	case errors.Is(err, checkpoint.ErrUnloadable), errors.Is(err, ErrRejected):
		return "unloadable"
	case errors.Is(err, modelstore.ErrNotFound):
		return "missing_file"
	case errors.Is(err, ErrQuality):
		return "quality"
	}
	return ""
}

func (h *Handler) count(name string, r Result) {
	if h.Metrics == nil {
		return
	}
	props := map[string]string{"kind": string(r.Kind), "version": r.Version, "key": r.Key}
	if r.Reason != "" {
		props["reason"] = r.Reason
	}
	h.Metrics.Count(name, 1, props)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
