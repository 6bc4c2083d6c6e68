package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

func TestConfigFromContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     map[string]any
		wantErr []string // substrings of the joined error; none means valid
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", ctx: map[string]any{}, check: func(t *testing.T, c Config) {
			if c.Arch != "x86_64" || !c.Training || c.RetrainSchedule != "rate(7 days)" || c.ServiceScope != "mlbundle/service" ||
				strings.Join(c.CORSOrigins, ",") != "*" {
				t.Errorf("defaults: %+v", c)
			}
			if c.BuildDir != "/repo/build" || c.TrainingDir != "/repo/training" {
				t.Errorf("dirs %s %s, want them under /repo", c.BuildDir, c.TrainingDir)
			}
		}},
		{name: "cdk.json types and -c strings", ctx: map[string]any{
			"arch": "arm64", "throttleRate": 7.0, "throttleBurst": "9", "training": "false",
			"jwtAudience": " a, b ,", "gpuInstanceTypes": "g5.xlarge", "buildDir": "/abs/build",
			"corsOrigins": "https://app.example.com, https://admin.example.com",
		}, check: func(t *testing.T, c Config) {
			if strings.Join(c.CORSOrigins, "|") != "https://app.example.com|https://admin.example.com" {
				t.Errorf("corsOrigins %v", c.CORSOrigins)
			}
			if c.Arch != "arm64" || c.ThrottleRate != 7 || c.ThrottleBurst != 9 || c.Training {
				t.Errorf("parsed %+v", c)
			}
			if strings.Join(c.JWTAudience, "|") != "a|b" || strings.Join(c.GPUInstances, "|") != "g5.xlarge" || c.BuildDir != "/abs/build" {
				t.Errorf("lists %v %v, dir %s", c.JWTAudience, c.GPUInstances, c.BuildDir)
			}
		}},
		{name: "every problem at once", ctx: map[string]any{
			"arch": "x86", "retrainSchedule": "weekly", "throttleRate": "fast", "training": "maybe", "gpuInstanceTypes": " , ",
		}, wantErr: []string{`arch="x86"`, `retrainSchedule="weekly"`, `throttleRate="fast": not a number`, `training="maybe"`, "gpuInstanceTypes is empty"}},
		{name: "non-positive sizes", ctx: map[string]any{"maxVcpus": 0.0}, wantErr: []string{"must be positive"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN an app with this context
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tc.ctx})
			// WHEN the config is read
			c, err := ConfigFromContext(app.Node(), "/repo")
			// THEN it is valid and parsed, or the error names every bad key
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tc.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("no error, want %v", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
