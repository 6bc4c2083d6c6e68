package classify

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// BenchmarkColdStart measures the functions/classify binary from process
// start to its first answer, with the checkpoint in S3 and the active pointer
// in DynamoDB (moto_server at AWS_ENDPOINT_URL), through a minimal Lambda
// Runtime API served here: each iteration starts a fresh process with an empty
// download directory, hands it events/classify-text.json and stops it once it
// has answered. Reports the time and the peak RSS of the process.
func BenchmarkColdStart(b *testing.B) {
	dir, _ := benchCheckpoint(b)
	lib := os.Getenv("ONNXRUNTIME_LIB")
	if lib == "" || os.Getenv("AWS_ENDPOINT_URL") == "" {
		b.Skip("needs ONNXRUNTIME_LIB and AWS_ENDPOINT_URL (moto_server; scripts/test.sh starts one)")
	}
	bucket, table := publish(b, dir)
	bin := filepath.Join(b.TempDir(), "classify")
	if out, err := exec.Command("go", "build", "-o", bin, "../../functions/classify").CombinedOutput(); err != nil {
		b.Fatalf("build functions/classify: %v\n%s", err, out)
	}
	event, err := os.ReadFile(filepath.Join(eventsDir, "classify-text.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, variant := range []string{"int8", "fp32"} {
		b.Run(variant, func(b *testing.B) {
			var times []time.Duration
			var rss int64
			for range b.N {
				d, r := coldStart(b, bin, event, []string{
					"ONNXRUNTIME_LIB=" + lib, "MODELS_BUCKET=" + bucket, "ACTIVE_TABLE=" + table,
					"CLASSIFIER_MODEL=" + variant, "TMPDIR=" + b.TempDir(), "LOG_LEVEL=" + cmp.Or(os.Getenv("COLD_START_LOG"), "warn"),
				})
				times = append(times, d)
				rss = max(rss, r)
			}
			slices.Sort(times)
			p50, worst := float64(times[len(times)/2].Milliseconds()), float64(times[len(times)-1].Milliseconds())
			extra := map[string]any{"max_ms": worst, "starts": len(times), "checkpoint": dir.Manifest.Version}
			benchtest.Check(b, "coldstart.lambda_classify_"+variant+".p50_ms", p50, "ms", extra)
			benchtest.Check(b, "coldstart.lambda_classify_"+variant+".peak_rss_mb", float64(rss)/1024, "MB", extra)
		})
	}
}

// publish uploads the checkpoint (manifest last) to a fresh bucket and points
// a fresh models table at it.
func publish(b *testing.B, dir *checkpoint.Dir) (bucket, table string) {
	ctx := context.Background()
	cfg, err := config.FromEnv()
	if err != nil {
		b.Fatal(err)
	}
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		b.Fatal(err)
	}
	suffix := fmt.Sprint(time.Now().UnixNano())
	bucket, table = "coldstart-"+suffix, "models-"+suffix
	s3c := cfg.S3(awsCfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		b.Fatal(err)
	}
	store := modelstore.NewS3(s3c, bucket, "models/")
	m := dir.Manifest
	names := append(slices.Sorted(maps.Keys(m.Files)), checkpoint.ManifestFile)
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir.Path, name))
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Put(ctx, modelstore.Key(m.Kind, m.Version, name), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	ddb := cfg.DynamoDB(awsCfg)
	if err := modelstore.CreatePointerTable(ctx, ddb, table); err != nil {
		b.Fatal(err)
	}
	if err := modelstore.NewDynamoPointer(ddb, table).Promote(ctx, m.Active()); err != nil {
		b.Fatal(err)
	}
	return bucket, table
}

// coldStart runs bin once against a one-event Runtime API and returns the
// time from start to the posted answer and the process's peak RSS in KiB.
func coldStart(b *testing.B, bin string, event []byte, env []string) (time.Duration, int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	answered := make(chan string, 1)
	served := false
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if served { // the process waits here for the next event until it is stopped
			<-r.Context().Done()
			return
		}
		served = true
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "cold-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:classify")
		_, _ = w.Write(event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{kind}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		answered <- r.PathValue("kind") + " " + string(body)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		answered <- "init error " + string(body)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append(env, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=classify")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var got string
	select {
	case got = <-answered:
	case <-time.After(60 * time.Second):
		got = "timeout"
	}
	took := time.Since(start)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !strings.HasPrefix(got, "response ") || !strings.Contains(got, `"statusCode":200`) {
		b.Fatalf("no answer: %s\nstderr: %s", got, stderr.String())
	}
	if os.Getenv("COLD_START_LOG") != "" {
		b.Logf("answered after %v; stderr:\n%s", took, stderr.String())
	}
	rss := int64(0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return took, rss
}
