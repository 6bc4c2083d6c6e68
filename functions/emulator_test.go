package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	evfiles "github.com/contentml/mlbundle/events"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/modelstore"
)

const (
	eventsDir   = "../events"
	fixturesDir = "../testdata/checkpoints"
	invokePath  = "/2015-03-31/functions/function/invocations"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// TestMain removes the bootstraps built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// assets builds every bootstrap and the ONNX Runtime layer once per test binary,
// with the script that builds the deployed assets.
func assets(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "mlbundle-rie-"); buildErr != nil {
			return
		}
		cmd := exec.Command("../scripts/build-lambdas.sh")
		cmd.Env = append(os.Environ(), "BUILD_DIR="+buildDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("scripts/build-lambdas.sh: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// emulator is one aws-lambda-rie process running one bootstrap.
type emulator struct {
	url string
	cmd *exec.Cmd
	out *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startEmulator runs the bootstrap of fn under the emulator with env (on top of a
// bare environment) until the test ends.
func startEmulator(t *testing.T, build, fn string, env ...string) *emulator {
	t.Helper()
	rie, err := exec.Command("../scripts/rie.sh").Output()
	if err != nil {
		t.Fatalf("scripts/rie.sh: %v", err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(strings.TrimSpace(string(rie)), "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", freeAddr(t), filepath.Join(build, "lambda", fn, "bootstrap"))
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_REGION=us-east-1",
		"ONNXRUNTIME_LIB=" + filepath.Join(build, "layer", "lib", "libonnxruntime.so.1"), "LOG_LEVEL=warn"}, env...)
	e := &emulator{url: "http://" + addr + invokePath, cmd: cmd, out: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = e.out, e.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the bootstrap is its child
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s under the emulator:\n%s", fn, e.out)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s:\n%s", addr, e.out)
		}
	}
}

// invoke posts one event file and returns the function's answer.
func (e *emulator) invoke(t *testing.T, event string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eventsDir, event))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: emulator status %d: %s", event, resp.StatusCode, body.Bytes())
	}
	return body.Bytes()
}

// store copies the committed test checkpoints into a fresh local model store and
// promotes tiny-v1 of the kinds listed.
func store(t *testing.T, promote ...checkpoint.Kind) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "models")
	if err := os.CopyFS(root, os.DirFS(fixturesDir)); err != nil {
		t.Fatal(err)
	}
	for _, kind := range promote {
		m, err := modelstore.ReadManifest(context.Background(), modelstore.NewLocal(root), kind, "tiny-v1")
		if err != nil {
			t.Fatal(err)
		}
		if err := modelstore.NewLocalPointer(root).Promote(context.Background(), m.Active()); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestBootstrapsUnderEmulator runs every function's built bootstrap under the
// Lambda Runtime Interface Emulator, as provided.al2023 runs it, on each event of
// events/ and checks the answer against events/expected.json: HTTP functions over
// a local store with both test checkpoints active, each reload event over a fresh
// store with nothing active.
func TestBootstrapsUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds every bootstrap")
	}
	want, err := evfiles.Load(eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	build := assets(t)
	groups := map[string][]string{} // "<function> <auth mode>" -> HTTP events
	for _, name := range evfiles.Names(want) {
		exp := want[name]
		if exp.Function == "reload" {
			t.Run(name, func(t *testing.T) { runReload(t, build, name, exp) })
			continue
		}
		key := exp.Function + " " + exp.AuthMode
		groups[key] = append(groups[key], name)
	}
	for key, names := range groups {
		fn, auth, _ := strings.Cut(key, " ")
		t.Run(fn+"/auth="+auth, func(t *testing.T) {
			env := []string{"MODELS_DIR=" + store(t, checkpoint.NCF, checkpoint.Classifier),
				"INTERACTIONS_DB=" + filepath.Join(t.TempDir(), "i.db")}
			if auth != "" {
				env = append(env, "AUTH_MODE="+auth)
			}
			e := startEmulator(t, build, fn, env...)
			for _, name := range names {
				t.Run(name, func(t *testing.T) { checkHTTP(t, e.invoke(t, name), want[name]) })
			}
		})
	}
}

func checkHTTP(t *testing.T, answer []byte, exp evfiles.Expected) {
	t.Helper()
	var resp struct {
		StatusCode   int    `json:"statusCode"`
		Body         string `json:"body"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(answer, &resp); err != nil || resp.ErrorMessage != "" {
		t.Fatalf("answer %s: %v", answer, err)
	}
	if resp.StatusCode != exp.Status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, exp.Status, resp.Body)
	}
	for _, c := range exp.Contains {
		if !strings.Contains(resp.Body, c) {
			t.Errorf("body does not contain %s: %s", c, resp.Body)
		}
	}
}

func runReload(t *testing.T, build, name string, exp evfiles.Expected) {
	root := store(t) // nothing promoted
	e := startEmulator(t, build, "reload", "MODELS_DIR="+root)
	answer := e.invoke(t, name)
	var resp struct {
		BatchItemFailures []any  `json:"batchItemFailures"`
		ErrorMessage      string `json:"errorMessage"`
	}
	if err := json.Unmarshal(answer, &resp); answer != nil && string(answer) != "null" && (err != nil || resp.ErrorMessage != "" || len(resp.BatchItemFailures) > 0) {
		t.Fatalf("reload answered %s (%v): a retry or a failure", answer, err)
	}
	got := ""
	if a, err := modelstore.NewLocalPointer(root).Get(context.Background(), checkpoint.NCF); err == nil {
		got = string(a.Kind) + "/" + a.Version
	}
	if got != exp.Active {
		t.Errorf("active after the event = %q, want %q (answer %s)", got, exp.Active, answer)
	}
}
