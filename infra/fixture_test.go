package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/contentml/mlbundle/infra/serving"
)

// fixture is the one synthesized app that every test reads: synthesizing is slow (jsii),
// so it happens once per test binary.
type fixture struct {
	cfg       Config
	stacks    Stacks
	outDir    string
	buildDir  string
	buildLog  string
	buildErr  error
	templates map[string]assertions.Template // by stack name
	json      map[string]map[string]any      // the same templates as JSON
}

var (
	fixtureOnce sync.Once
	shared      *fixture
	fixtureErr  error
)

// TestMain removes the temporary build and cloud assembly directories after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		os.RemoveAll(shared.buildDir)
		os.RemoveAll(shared.outDir)
	}
	os.Exit(code)
}

// getFixture builds the Lambda assets with scripts/build-lambdas.sh into a temporary
// directory and synthesizes the app with the context of cdk.json against it.
func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() { shared, fixtureErr = newFixture() })
	if fixtureErr != nil {
		t.Fatalf("synthesize the app: %v", fixtureErr)
	}
	return shared
}

func newFixture() (f *fixture, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth panicked: %v\n%s", r, debug.Stack())
		}
	}()
	f = &fixture{templates: map[string]assertions.Template{}, json: map[string]map[string]any{}}
	ctx, err := cdkContext("../cdk.json")
	if err != nil {
		return nil, err
	}
	if f.buildDir, err = os.MkdirTemp("", "mlbundle-build-"); err != nil {
		return nil, err
	}
	if f.outDir, err = os.MkdirTemp("", "mlbundle-cdkout-"); err != nil {
		return nil, err
	}
	ctx["buildDir"] = f.buildDir
	f.buildLog, f.buildErr = buildAssets(f.buildDir, fmt.Sprint(ctx["arch"]))
	// A function that does not build leaves an empty asset directory here only, so that
	// the template tests still run; TestAssetsBuilt reports the failure.
	for _, fn := range serving.FunctionNames() {
		if err := os.MkdirAll(filepath.Join(f.buildDir, "lambda", fn), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(f.buildDir, "layer", "lib"), 0o755); err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(f.outDir)})
	if f.cfg, err = ConfigFromContext(app.Node(), ".."); err != nil {
		return nil, err
	}
	f.stacks = NewStacks(app, f.cfg)
	for _, s := range []awscdk.Stack{f.stacks.Storage.Stack, f.stacks.Serving.Stack, f.stacks.Training.Stack} {
		tpl := assertions.Template_FromStack(s, nil)
		f.templates[*s.StackName()] = tpl
		raw, err := json.Marshal(tpl.ToJSON())
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		f.json[*s.StackName()] = m
	}
	return f, nil
}

// cdkContext reads the "context" object of cdk.json.
func cdkContext(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Context, nil
}

// buildAssets runs scripts/build-lambdas.sh for every function into dir.
func buildAssets(dir, arch string) (string, error) {
	cmd := exec.Command("../scripts/build-lambdas.sh", serving.FunctionNames()...)
	cmd.Dir = "."
	cmd.Env = append(os.Environ(), "BUILD_DIR="+dir, "ARCH="+arch)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// check runs an assertions call, turning its panic (a failed match) into a test error.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

// resources returns the template's resources of one type, by logical id.
func (f *fixture) resources(stack, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := f.json[stack]["Resources"].(map[string]any)
	for id, r := range res {
		m, _ := r.(map[string]any)
		if m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// logicalID is the logical id of a construct's CloudFormation resource.
func logicalID(c constructs.IConstruct) string {
	el := c.Node().DefaultChild().(awscdk.CfnElement)
	return *awscdk.Stack_Of(c).GetLogicalId(el)
}

// refersTo reports whether v (any template value) mentions the logical id, directly (Ref,
// Fn::GetAtt) or through a cross-stack import, whose export name contains it.
func refersTo(v any, id string) bool {
	raw, _ := json.Marshal(v)
	return strings.Contains(string(raw), id)
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// dig walks nested maps by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
