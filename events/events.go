// Package events holds the sample Lambda events of every function (the *.json files
// beside this one) and their expected outcomes (expected.json), which both the
// in-process event test (cmd/mlbundle) and the emulator test of the built
// bootstraps (functions) check.
package events

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Expected is one entry of expected.json.
type Expected struct {
	Function string `json:"function"`
	// Status is the HTTP status an API event answers.
	Status int `json:"status"`
	// Active is, for a reload event, "<kind>/<version>" active afterwards ("" none).
	Active string `json:"active"`
	// Contains lists strings the response body must hold.
	Contains []string `json:"contains"`
	// AuthMode, when set, runs the event under that AUTH_MODE.
	AuthMode string `json:"auth_mode"`
	// WellFormed marks a 4xx answer to a request the OpenAPI document accepts: the
	// refusal depends on the serving model, not on the request's form.
	WellFormed bool `json:"well_formed"`
}

// Load reads dir/expected.json and checks that every event file of dir has an
// entry and every entry a file; it returns the entries by file name.
func Load(dir string) (map[string]Expected, error) {
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("expected.json: %w", err)
	}
	out := map[string]Expected{}
	for name, v := range raw {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var e Expected
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("expected.json %s: %w", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("expected.json names %s, which does not exist", name)
		}
		out[name] = e
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, p := range paths {
		if name := filepath.Base(p); name != "expected.json" {
			if _, ok := out[name]; !ok {
				return nil, fmt.Errorf("%s has no entry in expected.json", name)
			}
		}
	}
	return out, nil
}

// Names returns the event file names of m, sorted.
func Names(m map[string]Expected) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
