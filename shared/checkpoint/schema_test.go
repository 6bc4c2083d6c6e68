package checkpoint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/modelstore"
	"github.com/contentml/mlbundle/training/mlbundle_training/contract/schema"
)

// compile compiles one of the contract's JSON Schemas (the files training
// validates against), with formats such as date-time asserted.
func compile(t *testing.T, name string, doc []byte) *jsonschema.Schema {
	t.Helper()
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, parsed); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

// What Go reads from training passes the schema, and what passes the schema Go
// reads: the committed checkpoints, made by the Python export.
func TestCommittedCheckpointsMatchSchema(t *testing.T) {
	manifest, parity := compile(t, "manifest.schema.json", schema.Manifest), compile(t, "parity.schema.json", schema.Parity)
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "checkpoints", "*", "*"))
	if len(dirs) == 0 {
		t.Fatal("no committed checkpoints")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			m, err := os.ReadFile(filepath.Join(dir, checkpoint.ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, manifest, m); err != nil {
				t.Errorf("manifest.json breaks the schema: %v", err)
			}
			if _, err := checkpoint.Parse(m); err != nil {
				t.Errorf("Parse: %v", err)
			}
			p, err := os.ReadFile(filepath.Join(dir, checkpoint.ParityFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, parity, p); err != nil {
				t.Errorf("parity.json breaks the schema: %v", err)
			}
			if _, err := checkpoint.ParseParity(p); err != nil {
				t.Errorf("ParseParity: %v", err)
			}
		})
	}
}

// What Go writes matches the schema too: the active pointer file, and the
// manifests and parity files of the checkpoints the Go tests build.
func TestGoWrittenDocumentsMatchSchema(t *testing.T) {
	manifest, parity := compile(t, "manifest.schema.json", schema.Manifest), compile(t, "parity.schema.json", schema.Parity)
	pointer := compile(t, "pointer.schema.json", schema.Pointer)
	t0 := time.Date(2026, 12, 2, 1, 50, 0, 123456789, time.FixedZone("+05", 5*3600))
	for _, c := range []*checkpointtest.Checkpoint{checkpointtest.NCF("v1", t0), checkpointtest.Classifier("v1", t0)} {
		if err := validate(t, manifest, c.ManifestJSON()); err != nil {
			t.Errorf("%s test manifest breaks the schema: %v", c.Manifest.Kind, err)
		}
		if err := validate(t, parity, c.Files[checkpoint.ParityFile]); err != nil {
			t.Errorf("%s test parity.json breaks the schema: %v", c.Manifest.Kind, err)
		}
		root := t.TempDir()
		p := modelstore.NewLocalPointer(root)
		if err := p.Promote(context.Background(), c.Manifest.Active()); err != nil {
			t.Fatal(err)
		}
		// and a rollback by hand: promotion record, pin and previous version
		back := checkpoint.Active{Kind: c.Manifest.Kind, Version: "v0", CreatedAt: t0.Add(-time.Hour),
			PromotedBy: "cli:ops@host", Reason: "roll back", Pinned: true}
		for _, write := range []func() error{
			func() error { return nil },
			func() error { return p.Replace(context.Background(), back, c.Manifest.Active()) },
		} {
			if err := write(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(root, string(c.Manifest.Kind), "ACTIVE"))
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, pointer, data); err != nil {
				t.Errorf("ACTIVE %s breaks the pointer schema: %v", data, err)
			}
		}
	}
}

// A manifest that breaks the schema's structure is one Go refuses as well.
func TestSchemaAndParserRejectAlike(t *testing.T) {
	manifest := compile(t, "manifest.schema.json", schema.Manifest)
	good := checkpointtest.Classifier("v1", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)).ManifestJSON()
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"unknown kind", func(m map[string]any) { m["kind"] = "gbdt" }},
		{"version with a slash", func(m map[string]any) { m["version"] = "../v1" }},
		{"created_at not a time", func(m map[string]any) { m["created_at"] = "yesterday" }},
		{"schema_version 2", func(m map[string]any) { m["schema_version"] = 2 }},
		{"upper-case sha256", func(m map[string]any) {
			f := m["files"].(map[string]any)["vocab.txt"].(map[string]any)
			f["sha256"] = strings.ToUpper(f["sha256"].(string))
		}},
		{"negative size", func(m map[string]any) { m["files"].(map[string]any)["vocab.txt"].(map[string]any)["size"] = -1 }},
		{"file name with a path", func(m map[string]any) {
			files := m["files"].(map[string]any)
			files["../vocab.txt"] = files["vocab.txt"]
		}},
		{"float64 tensor", func(m map[string]any) {
			io := m["onnx"].(map[string]any)["model.onnx"].(map[string]any)
			io["outputs"].([]any)[0].(map[string]any)["dtype"] = "float64"
		}},
		{"no files", func(m map[string]any) { delete(m, "files") }},
		{"threshold above 1", func(m map[string]any) { m["classifier"].(map[string]any)["thresholds"].([]any)[0] = 1.5 }},
		{"max_length 1", func(m map[string]any) { m["classifier"].(map[string]any)["max_length"] = 1 }},
		{"empty label code", func(m map[string]any) {
			m["classifier"].(map[string]any)["labels"].([]any)[0].(map[string]any)["code"] = ""
		}},
		{"num_labels a string", func(m map[string]any) { m["classifier"].(map[string]any)["num_labels"] = "3" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if validate(t, manifest, data) == nil {
				t.Errorf("the schema accepts it")
			}
			if _, err := checkpoint.Parse(data); err == nil {
				t.Errorf("Parse accepts it")
			}
		})
	}
}
