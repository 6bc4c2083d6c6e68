package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/contentml/mlbundle/infra/serving"
)

// Config is what the app reads from the CDK context (cdk.json or `-c key=value`).
type Config struct {
	Arch            string   // arch: x86_64 (default) or arm64, for the functions and the layer
	BuildDir        string   // buildDir: where scripts/build-lambdas.sh wrote lambda/ and layer/ (absolute)
	TrainingDir     string   // trainingDir: docker build context holding the Dockerfile (absolute)
	JWTIssuer       string   // jwtIssuer: default of the JwtIssuer stack parameter
	JWTAudience     []string // jwtAudience: comma separated, default of the JwtAudience parameter
	ServiceScope    string   // serviceScope: the scope that may read any user's data
	CORSOrigins     []string // corsOrigins: comma separated origins whose pages may call the API ("*": any)
	ThrottleRate    float64  // throttleRate: steady requests per second on the API stage
	ThrottleBurst   float64  // throttleBurst: burst on the API stage
	AlarmEmail      string   // alarmEmail: optional e-mail subscribed to the alarm topic
	Training        bool     // training: false leaves out the GPU training stack
	RetrainSchedule string   // retrainSchedule: EventBridge rate(...) or cron(...) expression
	GPUInstances    []string // gpuInstanceTypes: comma separated EC2 GPU instance types
	MaxVCPUs        float64  // maxVcpus: upper bound of each training compute environment
}

// ConfigFromContext reads the app's settings from the CDK context of node, resolving the
// directories against root, and reports every bad value at once.
func ConfigFromContext(node constructs.Node, root string) (Config, error) {
	ctx := contextReader{node: node}
	cfg := Config{
		Arch:            ctx.str("arch", "x86_64"),
		BuildDir:        ctx.str("buildDir", "build"),
		TrainingDir:     ctx.str("trainingDir", "training"),
		JWTIssuer:       ctx.str("jwtIssuer", ""),
		JWTAudience:     splitList(ctx.str("jwtAudience", "")),
		ServiceScope:    ctx.str("serviceScope", "mlbundle/service"),
		CORSOrigins:     splitList(ctx.str("corsOrigins", "*")),
		ThrottleRate:    ctx.num("throttleRate", 50),
		ThrottleBurst:   ctx.num("throttleBurst", 100),
		AlarmEmail:      ctx.str("alarmEmail", ""),
		Training:        ctx.boolean("training", true),
		RetrainSchedule: ctx.str("retrainSchedule", "rate(7 days)"),
		GPUInstances:    splitList(ctx.str("gpuInstanceTypes", "g4dn.xlarge,g5.xlarge,g6.xlarge")),
		MaxVCPUs:        ctx.num("maxVcpus", 16),
	}
	errs := ctx.errs
	if cfg.Arch != "x86_64" && cfg.Arch != "arm64" {
		errs = append(errs, fmt.Errorf("context arch=%q: want x86_64 or arm64", cfg.Arch))
	}
	if !strings.HasPrefix(cfg.RetrainSchedule, "rate(") && !strings.HasPrefix(cfg.RetrainSchedule, "cron(") {
		errs = append(errs, fmt.Errorf("context retrainSchedule=%q: want rate(...) or cron(...)", cfg.RetrainSchedule))
	}
	if len(cfg.GPUInstances) == 0 {
		errs = append(errs, errors.New("context gpuInstanceTypes is empty"))
	}
	if cfg.ThrottleRate <= 0 || cfg.ThrottleBurst <= 0 || cfg.MaxVCPUs <= 0 {
		errs = append(errs, errors.New("context throttleRate, throttleBurst and maxVcpus must be positive"))
	}
	for _, p := range []*string{&cfg.BuildDir, &cfg.TrainingDir} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			errs = append(errs, fmt.Errorf("resolve %s: %w", *p, err))
		}
		*p = abs
	}
	return cfg, errors.Join(errs...)
}

// LambdaDir is the asset directory of one function: it holds the bootstrap executable.
func (c Config) LambdaDir(fn string) string { return filepath.Join(c.BuildDir, "lambda", fn) }

// LayerDir is the ONNX Runtime layer's asset directory (lib/libonnxruntime.so.1 inside).
func (c Config) LayerDir() string { return filepath.Join(c.BuildDir, "layer") }

// CheckAssets reports every file the stacks point at that is missing, so that a synth
// fails with a clear message instead of a deploy failing later.
func (c Config) CheckAssets() error {
	var errs []error
	need := func(path, hint string) {
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			errs = append(errs, fmt.Errorf("missing %s (%s)", path, hint))
		}
	}
	for _, fn := range serving.FunctionNames() {
		need(filepath.Join(c.LambdaDir(fn), "bootstrap"), "run scripts/build-lambdas.sh")
	}
	need(filepath.Join(c.LayerDir(), "lib", "libonnxruntime.so.1"), "run scripts/build-lambdas.sh")
	if c.Training {
		need(filepath.Join(c.TrainingDir, "Dockerfile"), "the training image is built from it")
	}
	return errors.Join(errs...)
}

// contextReader reads typed context values and collects the errors.
type contextReader struct {
	node constructs.Node
	errs []error
}

func (r *contextReader) raw(key string) (string, bool) {
	v := r.node.TryGetContext(&key)
	if v == nil {
		return "", false
	}
	return strings.TrimSpace(fmt.Sprint(v)), true
}

func (r *contextReader) str(key, def string) string {
	if v, ok := r.raw(key); ok {
		return v
	}
	return def
}

func (r *contextReader) num(key string, def float64) float64 {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("context %s=%q: not a number", key, v))
		return def
	}
	return f
}

func (r *contextReader) boolean(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("context %s=%q: want true or false", key, v))
		return def
	}
	return b
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
