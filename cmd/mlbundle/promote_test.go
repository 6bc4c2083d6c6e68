package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

func TestPromoteCommand(t *testing.T) {
	root := fixtureRoot(t) // checkpoints present, none promoted
	t.Setenv("MODELS_DIR", root)
	t.Setenv("INTERACTIONS_DB", filepath.Join(t.TempDir(), "i.db"))
	ctx := context.Background()
	var out bytes.Buffer
	err := run(ctx, []string{"promote", "--kind", "ncf", "--version", fixtureVersion, "--reason", "first model"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var a checkpoint.Active
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if a.Version != fixtureVersion || a.Reason != "first model" || !strings.HasPrefix(a.PromotedBy, "cli:") || a.PromotedAt.IsZero() {
		t.Errorf("pointer written = %+v", a)
	}
	err = run(ctx, []string{"promote", "--kind", "ncf", "--version", "no-such-version"}, &out)
	if err == nil || !strings.Contains(err.Error(), "no-such-version") || exitCode(err) != 1 {
		t.Errorf("unknown version: %v (exit %d)", err, exitCode(err))
	}
}
