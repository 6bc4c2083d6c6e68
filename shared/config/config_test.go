package config

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{ModelsDir: "models", ModelsPrefix: "models/", InteractionsDB: ".local/interactions.db",
		ModelTTL: 30 * time.Second, AvailabilityTTL: 30 * time.Second, ItemsTTL: 30 * time.Second, AuthMode: "none", ServiceScope: "mlbundle/service",
		LogLevel: slog.LevelInfo, FunctionName: "local"}
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if c.UsesS3() || c.UsesDynamo() {
		t.Error("defaults must be local (no S3, no DynamoDB)")
	}
}

func TestLoadAWS(t *testing.T) {
	c, err := Load(env(map[string]string{
		"MODELS_BUCKET": "b", "MODELS_PREFIX": "ckpt/", "ACTIVE_TABLE": "models",
		"INTERACTIONS_TABLE": "i", "POPULARITY_TABLE": "p", "MODEL_TTL_SECONDS": "5",
		"AUTH_MODE": "jwt", "SERVICE_SCOPE": "svc/all", "LOG_LEVEL": "DEBUG",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_LAMBDA_FUNCTION_NAME": "recommend",
		"RELOAD_ALLOW_BELOW_POPULARITY": "true", "AVAILABILITY_TABLE": "a", "AVAILABILITY_TTL_SECONDS": "7",
		"ITEMS_TABLE": "it", "ITEMS_TTL_SECONDS": "9",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.UsesS3() || !c.UsesDynamo() || c.ModelTTL != 5*time.Second || c.LogLevel != slog.LevelDebug ||
		!c.AllowBelowPopularity || c.AvailabilityTable != "a" || c.AvailabilityTTL != 7*time.Second ||
		c.ItemsTable != "it" || c.ItemsTTL != 9*time.Second {
		t.Errorf("got %+v", c)
	}
	if c.ONNXRuntimeLib != LambdaORTLib {
		t.Errorf("on Lambda ONNXRUNTIME_LIB defaults to %q, got %q", LambdaORTLib, c.ONNXRuntimeLib)
	}
	if a := c.Auth(); a.Mode != "jwt" || a.ServiceScope != "svc/all" {
		t.Errorf("Auth() = %+v", a)
	}
	ac, err := c.AWS(context.Background())
	if err != nil || ac.BaseEndpoint == nil || *ac.BaseEndpoint != "http://127.0.0.1:5000" {
		t.Errorf("AWS() endpoint = %v, %v", ac.BaseEndpoint, err)
	}
}

func TestLoadJoinsAllProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"everything wrong", map[string]string{
			"MODEL_TTL_SECONDS": "soon", "AUTH_MODE": "open", "LOG_LEVEL": "loud",
			"INTERACTIONS_TABLE": "i", "MODELS_BUCKET": "b", "MODELS_PREFIX": "models",
			"AWS_ENDPOINT_URL": "localhost:4566",
		}, []string{"MODEL_TTL_SECONDS", "AUTH_MODE", "LOG_LEVEL", "POPULARITY_TABLE", "MODELS_PREFIX", "AWS_ENDPOINT_URL"}},
		{"negative ttl", map[string]string{"MODEL_TTL_SECONDS": "-1"}, []string{"MODEL_TTL_SECONDS"}},
		{"availability ttl not a number", map[string]string{"AVAILABILITY_TTL_SECONDS": "1m"}, []string{"AVAILABILITY_TTL_SECONDS"}},
		{"items ttl negative", map[string]string{"ITEMS_TTL_SECONDS": "-1"}, []string{"ITEMS_TTL_SECONDS"}},
		{"override not a boolean", map[string]string{"RELOAD_ALLOW_BELOW_POPULARITY": "maybe"}, []string{"RELOAD_ALLOW_BELOW_POPULARITY"}},
		{"popularity alone", map[string]string{"POPULARITY_TABLE": "p"}, []string{"INTERACTIONS_TABLE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.env))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestLoggerLevelAndFunction(t *testing.T) {
	c, _ := Load(env(map[string]string{"LOG_LEVEL": "warn", "AWS_LAMBDA_FUNCTION_NAME": "classify"}))
	var buf bytes.Buffer
	l := c.Logger(&buf)
	l.Info("hidden")
	l.Warn("shown")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, `"function":"classify"`) {
		t.Errorf("log output %q", out)
	}
}

func TestRequire(t *testing.T) {
	lambda := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fn"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	both := Needs{Models: true, Interactions: true}
	tests := []struct {
		name string
		env  map[string]string
		need Needs
		want []string // variables the error must name; none = no error
	}{
		{"local defaults stand off Lambda", map[string]string{}, both, nil},
		{"lambda without anything", lambda, both,
			[]string{"MODELS_BUCKET", "ACTIVE_TABLE", "INTERACTIONS_TABLE", "POPULARITY_TABLE"}},
		{"lambda with the cloud stores", with(lambda, "MODELS_BUCKET", "b", "ACTIVE_TABLE", "m",
			"INTERACTIONS_TABLE", "i", "POPULARITY_TABLE", "p"), both, nil},
		{"lambda with explicit local stores", with(lambda, "MODELS_DIR", "/opt/models",
			"INTERACTIONS_DB", "/mnt/i.db"), both, nil},
		{"only what the function needs", with(lambda, "INTERACTIONS_TABLE", "i", "POPULARITY_TABLE", "p"),
			Needs{Interactions: true}, nil},
		{"bucket without pointer table", with(lambda, "MODELS_BUCKET", "b"), Needs{Models: true},
			[]string{"ACTIVE_TABLE"}},
		{"recommend without the availability table", with(lambda, "INTERACTIONS_TABLE", "i", "POPULARITY_TABLE", "p"),
			Needs{Interactions: true, Availability: true}, []string{"AVAILABILITY_TABLE"}},
		{"recommend with the availability table", with(lambda, "INTERACTIONS_TABLE", "i", "POPULARITY_TABLE", "p",
			"AVAILABILITY_TABLE", "a"), Needs{Interactions: true, Availability: true}, nil},
		{"recommend without the items table", with(lambda, "AVAILABILITY_TABLE", "a"),
			Needs{Availability: true, Items: true}, []string{"ITEMS_TABLE"}},
		{"recommend with the items table", with(lambda, "AVAILABILITY_TABLE", "a", "ITEMS_TABLE", "it"),
			Needs{Availability: true, Items: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.Require(tc.need)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Require = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Require = nil, want an error naming %v", tc.want)
			}
			for _, name := range tc.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("Require = %q, want it to name %s", err, name)
				}
			}
		})
	}
}
