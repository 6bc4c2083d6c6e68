package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runtimeAPI is a minimal Lambda Runtime API (the interface provided.al2023 offers a
// bootstrap): it hands out one event and records what the function answers.
type runtimeAPI struct {
	event  []byte
	served chan struct{}
	answer chan string // "response <body>" or "error <body>"
}

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const base = "/2018-06-01/runtime/"
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base+"invocation/next":
		select {
		case <-a.served:
			<-r.Context().Done() // a single event; the next poll waits until the end
			return
		default:
			close(a.served)
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
		w.Write(a.event)
	case r.URL.Path == base+"invocation/req-1/response":
		a.answer <- "response " + string(body)
		w.WriteHeader(http.StatusAccepted)
	default: // invocation/<id>/error or init/error
		a.answer <- "error " + r.URL.Path + " " + string(body)
		w.WriteHeader(http.StatusAccepted)
	}
}

// invoke starts a built bootstrap under the fake Runtime API and returns its answer.
func invoke(t *testing.T, bootstrap, eventFile string, env []string) (status int, body string) {
	t.Helper()
	event, err := os.ReadFile(eventFile)
	if err != nil {
		t.Fatal(err)
	}
	api := &runtimeAPI{event: event, served: make(chan struct{}), answer: make(chan string, 4)}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cmd := exec.Command(bootstrap)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.Env = append([]string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=test", "AWS_REGION=us-east-1", "PATH=/usr/bin:/bin"}, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	select {
	case a := <-api.answer:
		kind, rest, _ := strings.Cut(a, " ")
		if kind != "response" {
			t.Fatalf("%s answered %s\n%s", bootstrap, rest, stderr.String())
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal([]byte(rest), &resp); err != nil {
			t.Fatalf("response %q: %v", rest, err)
		}
		return resp.StatusCode, resp.Body
	case err := <-exited:
		exited <- err
		t.Fatalf("%s exited before answering: %v\n%s", bootstrap, err, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not answer within 2 minutes\n%s", bootstrap, stderr.String())
	}
	return 0, ""
}

func TestBootstrapsStartAndAnswer(t *testing.T) {
	// GIVEN the built assets, runnable here when they are for this machine's architecture
	f := getFixture(t)
	if host := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]; host != f.cfg.Arch {
		t.Skipf("assets are for %s, this machine is %s", f.cfg.Arch, runtime.GOARCH)
	}
	lib := filepath.Join(f.cfg.LayerDir(), "lib", "libonnxruntime.so.1")
	models := t.TempDir() // an empty local store: no checkpoint yet
	tests := []struct {
		fn, event  string
		wantStatus int
		wantBody   string
	}{
		// the models function answers the health check without any AWS service
		{"models", "../events/models-healthz.json", 200, ""},
		// classify loads ONNX Runtime from the layer's path at init, then reports that
		// no checkpoint is active: 503 model_unavailable, not a crash
		{"classify", "../events/classify-text.json", 503, "model_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			bootstrap := filepath.Join(f.cfg.LambdaDir(tc.fn), "bootstrap")
			if _, err := os.Stat(bootstrap); err != nil {
				t.Skipf("%s not built (see TestAssetsBuilt): %v", tc.fn, err)
			}
			// WHEN the bootstrap receives one API Gateway event from the Runtime API
			status, body := invoke(t, bootstrap, tc.event, []string{"MODELS_DIR=" + models, "ONNXRUNTIME_LIB=" + lib, "LOG_LEVEL=error"})
			// THEN it answers with the expected status
			if status != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
				t.Errorf("status %d body %s, want %d with %q", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}
