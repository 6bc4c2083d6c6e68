package modelstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// ErrNotFound is returned (wrapped, with the bucket/key or path) when an object or
// an active pointer does not exist.
var ErrNotFound = errors.New("not found")

// Store reads and writes the objects of a model store. Keys are slash-separated,
// relative to the store's root: "<kind>/<version>/<file>".
type Store interface {
	// Get opens an object; a missing one gives an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put writes an object (replacing it) from r.
	Put(ctx context.Context, key string, r io.Reader) error
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Where names a key for messages: a path or s3://bucket/key.
	Where(key string) string
}

// Key joins the parts of a key with slashes.
func Key(kind checkpoint.Kind, version, file string) string {
	return string(kind) + "/" + version + "/" + file
}

// checkKey rejects keys that could leave the store's root.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, `\`) {
		return fmt.Errorf("invalid key %q: want a relative slash-separated key", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("invalid key %q: empty, . or .. segment", key)
		}
	}
	if path.Clean(key) != key {
		return fmt.Errorf("invalid key %q: not clean", key)
	}
	return nil
}
