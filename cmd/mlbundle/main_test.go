package main

import (
	"bytes"
	"context"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/onnx"
	"github.com/contentml/mlbundle/shared/onnx/onnxtest"
)

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     string
		wantCode int
	}{
		{"no command", nil, "no command", 2},
		{"unknown command", []string{"deploy"}, `unknown command "deploy"`, 2},
		{"invoke without args", []string{"invoke"}, "invoke wants <function> <event.json>", 2},
		{"invoke unknown function", []string{"invoke", "train", "events/models-healthz.json"}, `unknown function "train"`, 2},
		{"invoke missing file", []string{"invoke", "models", "no-such-event.json"}, "read event", 1},
		{"load without file", []string{"load-interactions"}, "load-interactions wants <file.jsonl>", 2},
		{"load missing file", []string{"load-interactions", "no-such.jsonl"}, "no-such.jsonl", 1},
		{"serve bad flag", []string{"serve", "-port", "1"}, "flag provided but not defined: -port", 2},
		{"serve stray argument", []string{"serve", "now"}, "serve takes no arguments", 2},
		{"unavailable without action", []string{"unavailable"}, "unavailable wants add, remove or list", 2},
		{"unavailable bad action", []string{"unavailable", "drop", "i1"}, `got "drop"`, 2},
		{"unavailable add nothing", []string{"unavailable", "add"}, "at least one item id", 2},
		{"promote without kind", []string{"promote", "--version", "v1"}, `--kind must be ncf or classifier, got ""`, 2},
		{"promote bad version", []string{"promote", "--kind", "ncf", "--version", "../x"}, `--version "../x" is not a valid version name`, 2},
		{"promote stray argument", []string{"promote", "--kind", "ncf", "--version", "v1", "now"}, `unexpected argument "now"`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
			if got := exitCode(err); got != tc.wantCode {
				t.Errorf("exit code of run(%q) = %d, want %d", tc.args, got, tc.wantCode)
			}
			if tc.wantCode == 2 && !strings.Contains(err.Error(), "usage:") {
				t.Errorf("usage error %q does not show the usage", err)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	tests := []struct {
		args []string
		want []string // on stdout
	}{
		{[]string{"-h"}, []string{"usage:", "mlbundle serve", "mlbundle --version"}},
		{[]string{"--help"}, []string{"usage:", "load-interactions"}},
		{[]string{"serve", "-h"}, []string{"usage: mlbundle serve", "-addr", "listen address"}},
		{[]string{"serve", "--help"}, []string{"-addr"}},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		err := run(context.Background(), tc.args, &out)
		if code := exitCode(err); code != 0 {
			t.Errorf("run(%q): exit code %d (%v), want 0", tc.args, code, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("run(%q) printed %q, want it to contain %q", tc.args, out.String(), w)
			}
		}
	}
}

func TestModuleVersion(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "unknown (no build information in this binary)"},
		{"devel, no vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true, "(devel) (go1.26.8)"},
		{"from a modified checkout", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Version: "v0.0.0-20261202011500-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789abcdef"},
				{Key: "vcs.time", Value: "2026-12-02T01:15:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, true, "v0.0.0-20261202011500-0123456789ab+dirty (rev 0123456789abcdef, modified, 2026-12-02T01:15:00Z; go1.26.8)"},
		{"release", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, true, "v1.2.0 (rev abc)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := moduleVersion(tc.info, tc.ok); got != tc.want {
				t.Errorf("moduleVersion = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersionWithoutLibrary(t *testing.T) {
	t.Setenv("ONNXRUNTIME_LIB", "")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "mlbundle ") || !strings.HasPrefix(lines[1], "onnxruntime: not loaded (ONNXRUNTIME_LIB is unset") {
		t.Errorf("--version without ONNXRUNTIME_LIB printed %q", out.String())
	}
}

func TestVersionNamesLoadedRuntime(t *testing.T) {
	onnxtest.Init(t)
	want, err := onnx.Version()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out); err != nil {
		t.Fatal(err)
	}
	if line := "onnxruntime " + want + " (" + os.Getenv("ONNXRUNTIME_LIB") + ")"; !strings.Contains(out.String(), line) {
		t.Errorf("--version printed %q, want a line %q", out.String(), line)
	}
}
