package checkpoint_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
)

var created = time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)

func TestParseValid(t *testing.T) {
	for _, c := range []*checkpointtest.Checkpoint{
		checkpointtest.NCF("20261126T010203Z", created),
		checkpointtest.Classifier("benchmark_v1", created),
	} {
		t.Run(string(c.Manifest.Kind), func(t *testing.T) {
			m, err := checkpoint.Parse(c.ManifestJSON())
			if err != nil {
				t.Fatal(err)
			}
			if m.Version != c.Manifest.Version || !m.CreatedAt.Equal(created) || len(m.Files) != len(c.Files) {
				t.Errorf("parsed %+v, want the manifest written", m)
			}
			if got := m.ONNX[checkpoint.ModelFile].Inputs[0].Shape[0]; got.Size != -1 || got.Name != "batch" {
				t.Errorf("dynamic axis parsed as %+v", got)
			}
		})
	}
}

func TestParseDocExample(t *testing.T) {
	// the shape of docs/checkpoint.md, with integer and named axes mixed
	doc := `{"schema_version": 1, "kind": "ncf", "version": "20261126T010203Z",
	"created_at": "2026-11-26T01:02:03Z", "git_revision": "abc1234",
	"files": {"model.onnx": {"sha256": "` + strings.Repeat("a", 64) + `", "size": 12345},
	          "parity.json": {"sha256": "` + strings.Repeat("b", 64) + `", "size": 678},
	          "users.json": {"sha256": "` + strings.Repeat("c", 64) + `", "size": 1},
	          "items.json": {"sha256": "` + strings.Repeat("d", 64) + `", "size": 1},
	          "popular.json": {"sha256": "` + strings.Repeat("e", 64) + `", "size": 1}},
	"onnx": {"model.onnx": {"inputs": [{"name": "user", "dtype": "int64", "shape": ["batch"]},
	                                  {"name": "item", "dtype": "int64", "shape": ["batch"]}],
	                        "outputs": [{"name": "logit", "dtype": "float32", "shape": ["batch"]}]}},
	"hyperparameters": {"variant": "neumf", "factors": 8, "layers": [64, 32, 16, 8]},
	"data": {"source": "synthetic", "interactions": 20000},
	"metrics": {"hr@10": 0.61, "ndcg@10": 0.35},
	"future_field": {"readers": "ignore it"},
	"ncf": {"variant": "neumf", "num_users": 500, "num_items": 300, "user_ids_file": "users.json",
	        "item_ids_file": "items.json", "popular_file": "popular.json", "user_interactions_file": null}}`
	m, err := checkpoint.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if m.Metrics["hr@10"] != 0.61 || m.NCF.NumItems != 300 {
		t.Errorf("parsed %+v", m)
	}
}

// mutate returns the ncf fixture's manifest JSON after f edits its generic form.
func mutate(t *testing.T, kind checkpoint.Kind, f func(m map[string]any)) []byte {
	t.Helper()
	c := checkpointtest.NCF("v1", created)
	if kind == checkpoint.Classifier {
		c = checkpointtest.Classifier("v1", created)
	}
	var m map[string]any
	if err := json.Unmarshal(c.ManifestJSON(), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func section(m map[string]any, name string) map[string]any { return m[name].(map[string]any) }

func TestParseInvalid(t *testing.T) {
	files := func(m map[string]any) map[string]any { return section(m, "files") }
	tests := []struct {
		name string
		kind checkpoint.Kind
		edit func(m map[string]any)
		want string
	}{
		{"schema version", checkpoint.NCF, func(m map[string]any) { m["schema_version"] = 2 }, "schema_version is 2"},
		{"kind", checkpoint.NCF, func(m map[string]any) { m["kind"] = "gbdt" }, `kind "gbdt"`},
		{"version", checkpoint.NCF, func(m map[string]any) { m["version"] = "../v1" }, `version "../v1"`},
		{"version too long", checkpoint.NCF, func(m map[string]any) { m["version"] = strings.Repeat("a", 65) }, "does not match"},
		{"created_at", checkpoint.NCF, func(m map[string]any) { delete(m, "created_at") }, "created_at is missing"},
		{"traversal", checkpoint.NCF, func(m map[string]any) { files(m)["../../etc/passwd"] = files(m)["users.json"] }, "path separator"},
		{"absolute", checkpoint.NCF, func(m map[string]any) { files(m)["/etc/passwd"] = files(m)["users.json"] }, "path separator"},
		{"dot dot", checkpoint.NCF, func(m map[string]any) { files(m)[".."] = files(m)["users.json"] }, "not a plain file name"},
		{"dot dot prefix", checkpoint.NCF, func(m map[string]any) { files(m)["..x"] = files(m)["users.json"] }, "starts with .."},
		{"backslash", checkpoint.NCF, func(m map[string]any) { files(m)[`..\x`] = files(m)["users.json"] }, "path separator"},
		{"section traversal", checkpoint.NCF, func(m map[string]any) {
			section(m, "ncf")["users_ids_file"] = "x"
			section(m, "ncf")["user_ids_file"] = "../users.json"
		}, "ncf.user_ids_file"},
		{"bad sha", checkpoint.NCF, func(m map[string]any) { files(m)["users.json"] = map[string]any{"sha256": "XYZ", "size": 1} }, "64 lower-case hex"},
		{"negative size", checkpoint.NCF, func(m map[string]any) {
			files(m)["users.json"] = map[string]any{"sha256": strings.Repeat("a", 64), "size": -1}
		}, "negative"},
		{"no model", checkpoint.NCF, func(m map[string]any) { delete(files(m), "model.onnx") }, "files lacks model.onnx"},
		{"manifest listed", checkpoint.NCF, func(m map[string]any) { files(m)["manifest.json"] = files(m)["users.json"] }, "lists manifest.json"},
		{"onnx unknown file", checkpoint.NCF, func(m map[string]any) { section(m, "onnx")["other.onnx"] = section(m, "onnx")["model.onnx"] }, `onnx["other.onnx"] is not in files`},
		{"onnx dtype", checkpoint.NCF, func(m map[string]any) {
			section(m, "onnx")["model.onnx"].(map[string]any)["inputs"].([]any)[0].(map[string]any)["dtype"] = "int32"
		}, `dtype "int32"`},
		{"ncf counts", checkpoint.NCF, func(m map[string]any) { section(m, "ncf")["num_users"] = 0 }, "num_users is 0"},
		{"ncf section missing", checkpoint.NCF, func(m map[string]any) { delete(m, "ncf") }, "without an ncf section"},
		{"wrong type", checkpoint.NCF, func(m map[string]any) { section(m, "ncf")["num_items"] = "300" }, "num_items"},
		{"labels vs thresholds", checkpoint.Classifier, func(m map[string]any) { section(m, "classifier")["thresholds"] = []float64{0.5} }, "3 labels but 1 thresholds"},
		{"threshold range", checkpoint.Classifier, func(m map[string]any) { section(m, "classifier")["thresholds"] = []float64{0.5, 1.5, 0.5} }, "thresholds[1] is 1.5"},
		{"repeated code", checkpoint.Classifier, func(m map[string]any) {
			section(m, "classifier")["labels"].([]any)[1].(map[string]any)["code"] = "earn"
		}, `"earn" is repeated`},
		{"max length", checkpoint.Classifier, func(m map[string]any) { section(m, "classifier")["max_length"] = 1 }, "max_length is 1"},
		{"vocab missing", checkpoint.Classifier, func(m map[string]any) { delete(files(m), "vocab.txt") }, "vocab_file"},
		{"both sections", checkpoint.Classifier, func(m map[string]any) { m["ncf"] = map[string]any{"num_users": 1} }, "section of the other kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkpoint.Parse(mutate(t, tt.kind, tt.edit))
			if !errors.Is(err, checkpoint.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestParseNotJSON(t *testing.T) {
	for _, in := range []string{"", "{", "[]", `{"kind": "ncf"} {}`} {
		if _, err := checkpoint.Parse([]byte(in)); !errors.Is(err, checkpoint.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", in, err)
		}
	}
}

func TestCheckFileName(t *testing.T) {
	for _, ok := range []string{"model.onnx", "model.int8.onnx", "users.json", "a..b"} {
		if err := checkpoint.CheckFileName(ok); err != nil {
			t.Errorf("CheckFileName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", "/abs", `a\b`, "..hidden", "a\x00b", "a\nb", strings.Repeat("x", 256)} {
		if err := checkpoint.CheckFileName(bad); err == nil {
			t.Errorf("CheckFileName(%q) = nil, want an error", bad)
		}
	}
}
