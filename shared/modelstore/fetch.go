package modelstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// MaxManifestBytes caps the size of a manifest.json that Fetch reads.
const MaxManifestBytes = 16 << 20

// fetchParallel is how many files Fetch downloads at once.
const fetchParallel = 4

// completeMarker marks a version directory that Fetch finished and verified.
const completeMarker = ".complete"

// ReadManifest reads and validates <kind>/<version>/manifest.json from store, and
// checks that it names that kind and version.
func ReadManifest(ctx context.Context, store Store, kind checkpoint.Kind, version string) (*checkpoint.Manifest, error) {
	m, _, err := readManifest(ctx, store, kind, version)
	return m, err
}

func readManifest(ctx context.Context, store Store, kind checkpoint.Kind, version string) (*checkpoint.Manifest, []byte, error) {
	if !checkpoint.ValidKind(kind) || !checkpoint.ValidVersion(version) {
		return nil, nil, fmt.Errorf("%w: kind %q version %q", checkpoint.ErrInvalid, kind, version)
	}
	key := Key(kind, version, checkpoint.ManifestFile)
	rc, err := store.Get(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxManifestBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", store.Where(key), err)
	}
	if len(data) > MaxManifestBytes {
		return nil, nil, fmt.Errorf("%w: %s is larger than %d bytes", checkpoint.ErrInvalid, store.Where(key), MaxManifestBytes)
	}
	m, err := checkpoint.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", store.Where(key), err)
	}
	if m.Kind != kind || m.Version != version {
		return nil, nil, fmt.Errorf("%w: %s names %s/%s", checkpoint.ErrInvalid, store.Where(key), m.Kind, m.Version)
	}
	return m, data, nil
}

// Fetch makes one verified local copy of a version and returns its manifest and
// directory. From a Local store the version is verified in place (no copy).
// Otherwise every file is downloaded into a temporary directory under
// dstDir/<kind>, checked against the manifest's size and sha256, and the
// directory is renamed to dstDir/<kind>/<version> (on Lambda dstDir is
// /tmp/models). A directory that an earlier Fetch completed is reused. The
// manifest's training files (checkpoint.Manifest.TrainingFiles: the PyTorch state
// dict, the evaluation report) are neither copied nor checked. Errors
// name the store key; a bad file wraps checkpoint.ErrIntegrity, a bad manifest
// checkpoint.ErrInvalid, a missing object ErrNotFound.
func Fetch(ctx context.Context, store Store, kind checkpoint.Kind, version, dstDir string) (*checkpoint.Manifest, string, error) {
	return FetchSome(ctx, store, kind, version, dstDir, nil)
}

// SkipFunc says which files of a version a caller does not need.
type SkipFunc func(m *checkpoint.Manifest, name string) bool

// FetchSome is Fetch without the files skip names (nil skips none). The files it
// does fetch are verified as by Fetch.
func FetchSome(ctx context.Context, store Store, kind checkpoint.Kind, version, dstDir string, skip SkipFunc) (*checkpoint.Manifest, string, error) {
	m, raw, err := readManifest(ctx, store, kind, version)
	if err != nil {
		return nil, "", err
	}
	var names []string
	training := m.TrainingFiles()
	for _, name := range slices.Sorted(maps.Keys(m.Files)) {
		if !slices.Contains(training, name) && (skip == nil || !skip(m, name)) {
			names = append(names, name)
		}
	}
	if l, ok := store.(*Local); ok {
		return m, l.Dir(string(kind), version), verifyInPlace(ctx, l, m, names)
	}
	final := filepath.Join(dstDir, string(kind), version)
	if holds(final, names) {
		return m, final, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, "", fmt.Errorf("fetch %s/%s: %w", kind, version, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), ".fetch-"+version+"-")
	if err != nil {
		return nil, "", fmt.Errorf("fetch %s/%s: %w", kind, version, err)
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left to remove
	if err := downloadAll(ctx, store, m, names, tmp); err != nil {
		return nil, "", err
	}
	if err := writeManifest(raw, names, tmp); err != nil {
		return nil, "", fmt.Errorf("fetch %s/%s: %w", kind, version, err)
	}
	if holds(final, names) { // another fetch of the same version finished first
		return m, final, nil
	}
	_ = os.RemoveAll(final) // an earlier fetch of fewer files
	if err := os.Rename(tmp, final); err != nil {
		if holds(final, names) {
			return m, final, nil
		}
		return nil, "", fmt.Errorf("fetch %s/%s: %w", kind, version, err)
	}
	return m, final, nil
}

// holds reports whether dir is a completed fetch that includes names.
func holds(dir string, names []string) bool {
	data, err := os.ReadFile(filepath.Join(dir, completeMarker))
	if err != nil {
		return false
	}
	have := strings.Split(string(data), "\n")
	for _, n := range names {
		if !slices.Contains(have, n) {
			return false
		}
	}
	return true
}

// verifyInPlace checks the named files of a version of a Local store where they lie.
func verifyInPlace(ctx context.Context, l *Local, m *checkpoint.Manifest, names []string) error {
	for _, name := range names {
		key := Key(m.Kind, m.Version, name)
		rc, err := l.Get(ctx, key)
		if err != nil {
			return err
		}
		err = m.Verify(name, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", l.Where(key), err)
		}
	}
	return nil
}

func downloadAll(ctx context.Context, store Store, m *checkpoint.Manifest, names []string, dir string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(names))
	sem := make(chan struct{}, fetchParallel)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			if errs[i] = download(ctx, store, m, name, dir); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// report the first real failure, not the cancellations it caused
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// download copies one file to dir, verifying it as it streams.
func download(ctx context.Context, store Store, m *checkpoint.Manifest, name, dir string) error {
	if err := checkpoint.CheckFileName(name); err != nil { // Parse checked it; the path depends on it
		return fmt.Errorf("%w: %v", checkpoint.ErrInvalid, err)
	}
	key := Key(m.Kind, m.Version, name)
	rc, err := store.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", store.Where(key), err)
	}
	verr := m.Verify(name, io.TeeReader(rc, f))
	if cerr := f.Close(); verr == nil && cerr != nil {
		verr = fmt.Errorf("fetch %s: %w", store.Where(key), cerr)
	}
	if verr != nil {
		return fmt.Errorf("%s: %w", store.Where(key), verr)
	}
	return nil
}

// writeManifest writes manifest.json and then the marker listing the files.
func writeManifest(data []byte, names []string, dir string) error {
	if err := os.WriteFile(filepath.Join(dir, checkpoint.ManifestFile), data, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, completeMarker), []byte(strings.Join(names, "\n")), 0o644)
}
