package benchtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// Model is one entry of bench/models.json.
type Model struct {
	Name    string          `json:"name"`
	Kind    checkpoint.Kind `json:"kind"`
	Version string          `json:"version"` // a version name, or "ACTIVE": the store's active version
	Store   string          `json:"store"`   // a store root relative to the repository; empty: the model store
	Data    string          `json:"data"`    // what it is trained on
	Make    string          `json:"make"`    // the command that makes it
}

// Availability says whether a model is there and where.
type Availability struct {
	Model
	Path    string // local version directory when found
	Missing string // why not, with the command that makes it
}

// Root is the repository root: the nearest directory above the working
// directory that holds go.mod.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

var registry = sync.OnceValues(func() ([]Model, error) {
	data, err := os.ReadFile(filepath.Join(Root(), "bench", "models.json"))
	if err != nil {
		return nil, fmt.Errorf("benchmark model list: %w", err)
	}
	var doc struct{ Models []Model }
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("bench/models.json: %w", err)
	}
	return doc.Models, nil
})

// Models returns the benchmark models of bench/models.json.
func Models() ([]Model, error) { return registry() }

// storeRoot is the local model store: BENCH_MODELS_DIR, MODELS_DIR, or models/.
func storeRoot() string {
	for _, v := range []string{"BENCH_MODELS_DIR", "MODELS_DIR"} {
		if d := os.Getenv(v); d != "" {
			if filepath.IsAbs(d) {
				return d
			}
			return filepath.Join(Root(), d)
		}
	}
	return filepath.Join(Root(), "models")
}

// Available reports, for every benchmark model, whether it can be loaded.
func Available(ctx context.Context) ([]Availability, error) {
	models, err := Models()
	if err != nil {
		return nil, err
	}
	out := make([]Availability, 0, len(models))
	for _, m := range models {
		path, err := locate(ctx, m)
		a := Availability{Model: m, Path: path}
		if err != nil {
			a.Missing = fmt.Sprintf("%s/%s: %v; make it with `%s`", m.Kind, m.Version, err, m.Make)
		}
		out = append(out, a)
	}
	return out, nil
}

// Checkpoint returns the named benchmark model, fetched from S3 first when the
// store is a bucket, or skips tb naming the command that makes it. In fast mode
// every name stands for the committed fixture of its kind ("<kind>-fixture").
func Checkpoint(tb testing.TB, name string) *checkpoint.Dir {
	tb.Helper()
	return FirstCheckpoint(tb, name)
}

// FirstCheckpoint is Checkpoint for the first of names that is available; the
// skip message names the command that makes each.
func FirstCheckpoint(tb testing.TB, names ...string) *checkpoint.Dir {
	tb.Helper()
	models, err := Models()
	if err != nil {
		tb.Fatal(err)
	}
	byName := map[string]Model{}
	for _, m := range models {
		byName[m.Name] = m
	}
	var why []string
	for _, name := range names {
		m, ok := byName[name]
		if !ok {
			tb.Fatalf("bench/models.json names no model %q", name)
		}
		if Mode() == "fast" {
			m = byName[string(m.Kind)+"-fixture"]
		}
		path, err := locate(context.Background(), m)
		if err != nil {
			why = append(why, fmt.Sprintf("%s (%s/%s) is missing: %v; make it with `%s`", m.Name, m.Kind, m.Version, err, m.Make))
			continue
		}
		dir, err := checkpoint.OpenDir(path)
		if err != nil {
			tb.Fatalf("benchmark model %s: %v", m.Name, err)
		}
		return dir
	}
	tb.Skipf("benchmark model: %s", strings.Join(why, "; or "))
	return nil
}

// locate finds m's version directory, downloading it from S3 when the store is
// a bucket.
func locate(ctx context.Context, m Model) (string, error) {
	if m.Store == "" && os.Getenv("MODELS_BUCKET") != "" && os.Getenv("AWS_ENDPOINT_URL") != "" {
		return fetchS3(ctx, m)
	}
	root := storeRoot()
	if m.Store != "" {
		root = filepath.Join(Root(), m.Store)
	}
	version := m.Version
	if version == "ACTIVE" {
		a, err := modelstore.NewLocalPointer(root).Get(ctx, m.Kind)
		if err != nil {
			return "", fmt.Errorf("no active version in %s", root)
		}
		version = a.Version
	}
	dir := filepath.Join(root, string(m.Kind), version)
	if _, err := os.Stat(filepath.Join(dir, checkpoint.ManifestFile)); err != nil {
		return "", fmt.Errorf("%s has no %s", dir, checkpoint.ManifestFile)
	}
	return dir, nil
}

// fetchS3 downloads a named version from MODELS_BUCKET into the cache (verified,
// reused while complete).
func fetchS3(ctx context.Context, m Model) (string, error) {
	if m.Version == "ACTIVE" {
		return "", errors.New("an ACTIVE model is only looked up in a local store")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return "", err
	}
	cfg.BaseEndpoint = aws.String(os.Getenv("AWS_ENDPOINT_URL"))
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	prefix := os.Getenv("MODELS_PREFIX")
	if prefix == "" {
		prefix = "models/"
	}
	bucket := os.Getenv("MODELS_BUCKET")
	cache := os.Getenv("MLBUNDLE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "mlbundle")
	}
	dst := filepath.Join(cache, "bench-fetch", bucket)
	_, path, err := modelstore.Fetch(ctx, modelstore.NewS3(client, bucket, prefix), m.Kind, m.Version, dst)
	return path, err
}

// DataFile returns the path of a derived benchmark data file (the held-back
// splits written by `scripts/bench.sh data` under $MLBUNDLE_CACHE/bench-data),
// or skips tb naming that command.
func DataFile(tb testing.TB, name string) string {
	tb.Helper()
	cache := os.Getenv("MLBUNDLE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "mlbundle")
	}
	path := filepath.Join(cache, "bench-data", name)
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("benchmark data %s is missing: make it with `scripts/bench.sh data` (needs ../shared/data or MLBUNDLE_DATA)", path)
	}
	return path
}
