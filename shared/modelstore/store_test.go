package modelstore_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/modelstore"
)

// stores returns one of each Store implementation, each empty.
func stores(t *testing.T) map[string]func(t *testing.T) modelstore.Store {
	return map[string]func(t *testing.T) modelstore.Store{
		"local": func(t *testing.T) modelstore.Store { return modelstore.NewLocal(t.TempDir()) },
		"s3": func(t *testing.T) modelstore.Store {
			client, bucket := newBucket(t)
			return modelstore.NewS3(client, bucket, "models")
		},
	}
}

func get(t *testing.T, s modelstore.Store, key string) (string, error) {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return string(data), err
}

func TestStoreContract(t *testing.T) {
	for impl, newStore := range stores(t) {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			t.Run("put get", func(t *testing.T) {
				if err := s.Put(ctx, "ncf/v1/model.onnx", strings.NewReader("onnx bytes")); err != nil {
					t.Fatal(err)
				}
				if got, err := get(t, s, "ncf/v1/model.onnx"); err != nil || got != "onnx bytes" {
					t.Errorf("Get = %q, %v", got, err)
				}
				if err := s.Put(ctx, "ncf/v1/model.onnx", strings.NewReader("replaced")); err != nil {
					t.Fatal(err)
				}
				if got, _ := get(t, s, "ncf/v1/model.onnx"); got != "replaced" {
					t.Errorf("Get after replace = %q", got)
				}
			})
			t.Run("missing", func(t *testing.T) {
				_, err := get(t, s, "ncf/v9/manifest.json")
				if !errors.Is(err, modelstore.ErrNotFound) || !strings.Contains(err.Error(), s.Where("ncf/v9/manifest.json")) {
					t.Errorf("Get(missing) = %v, want ErrNotFound naming %s", err, s.Where("ncf/v9/manifest.json"))
				}
			})
			t.Run("list", func(t *testing.T) {
				for _, k := range []string{"classifier/v2/vocab.txt", "classifier/v1/model.onnx", "ncf/v2/x"} {
					if err := s.Put(ctx, k, strings.NewReader(k)); err != nil {
						t.Fatal(err)
					}
				}
				got, err := s.List(ctx, "classifier/")
				want := []string{"classifier/v1/model.onnx", "classifier/v2/vocab.txt"}
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("List = %v, %v; want %v", got, err, want)
				}
				if got, err := s.List(ctx, "none/"); err != nil || len(got) != 0 {
					t.Errorf("List(none/) = %v, %v; want empty", got, err)
				}
			})
			t.Run("bad keys", func(t *testing.T) {
				for _, k := range []string{"", "../x", "/etc/passwd", "ncf/../../x", "ncf//x", `ncf\x`} {
					if _, err := s.Get(ctx, k); err == nil || errors.Is(err, modelstore.ErrNotFound) {
						t.Errorf("Get(%q) = %v, want an invalid key error", k, err)
					}
					if err := s.Put(ctx, k, strings.NewReader("x")); err == nil {
						t.Errorf("Put(%q) = nil, want an error", k)
					}
				}
			})
		})
	}
}

func TestWhere(t *testing.T) {
	if got, want := modelstore.NewS3(nil, "b", "models/").Where("ncf/v1/manifest.json"), "s3://b/models/ncf/v1/manifest.json"; got != want {
		t.Errorf("S3 Where = %s, want %s", got, want)
	}
	if got, want := modelstore.NewLocal("models").Where("ncf/ACTIVE"), "models/ncf/ACTIVE"; got != want {
		t.Errorf("Local Where = %s, want %s", got, want)
	}
}
