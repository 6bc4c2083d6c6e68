package main

import (
	"context"
	"strings"
	"testing"
)

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"deploy"}, `unknown command "deploy"`},
		{"invoke without args", []string{"invoke"}, "invoke wants <function> <event.json>"},
		{"invoke missing file", []string{"invoke", "models", "no-such-event.json"}, "read event"},
		{"load without file", []string{"load-interactions"}, "load-interactions wants <file.jsonl>"},
		{"load missing file", []string{"load-interactions", "no-such.jsonl"}, "no-such.jsonl"},
		{"serve bad flag", []string{"serve", "-port", "1"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
