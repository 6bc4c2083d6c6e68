package recommend

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// rssItems is the catalogue size of the peak-RSS benchmark.
const rssItems = 100_000

// BenchmarkRecommendPeakRSS runs a fresh process (this test binary, TestPeakRSSChild)
// that loads the 100K-item checkpoint and answers 200 recommend calls, and reports that
// process's peak resident set size.
func BenchmarkRecommendPeakRSS(b *testing.B) {
	benchInit(b)
	dir := benchCheckpoint(b, rssItems, 5000)
	var kb int64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSSChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "MLBUNDLE_RSS_CHILD="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v: %s", err, out)
		}
		m := regexp.MustCompile(`peak_rss_kb=(\d+)`).FindSubmatch(out)
		if m == nil {
			b.Fatalf("child printed no peak_rss_kb: %s", out)
		}
		kb, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	b.ReportMetric(float64(kb)/1024, "peak_rss_MB")
}

// TestPeakRSSChild is the child of BenchmarkRecommendPeakRSS; it does nothing unless
// MLBUNDLE_RSS_CHILD names a checkpoint directory.
func TestPeakRSSChild(t *testing.T) {
	dir := os.Getenv("MLBUNDLE_RSS_CHILD")
	if dir == "" {
		t.Skip("runs only as the child of BenchmarkRecommendPeakRSS")
	}
	if err := initFromEnv(); err != nil {
		t.Skip(err)
	}
	svc, user, _, done := benchService(t, dir)
	defer done()
	for range 200 {
		if _, err := svc.Recommend(context.Background(), user, 10, true); err != nil {
			t.Fatal(err)
		}
	}
	// VmHWM is the peak RSS of this process image. getrusage's ru_maxrss is not used:
	// Linux carries the parent's peak over fork and exec, so a child of a benchmark
	// that loaded a bigger checkpoint would report the parent's number.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		t.Fatalf("no VmHWM in /proc/self/status")
	}
	fmt.Printf("peak_rss_kb=%s\n", m[1])
}
