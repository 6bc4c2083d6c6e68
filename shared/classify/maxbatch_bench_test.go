package classify

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkClassifyMaxBatch answers the largest request the route accepts (64 texts
// longer than the model reads) with ONNX runs of at most 8 and of at most 32 texts,
// int8 graph, one thread, the two sizes taking turns call by call in one process. It
// reports the CPU time of the calling thread per call for each (cpu_ms_8, cpu_ms_32) and
// their ratio; the peak memory of each is measured by cmd/mlbundle TestPeakRSS.
func BenchmarkClassifyMaxBatch(b *testing.B) {
	dir, _ := benchCheckpoint(b)
	initORT(b)
	sizes := []int{8, 32}
	models := make([]*Model, len(sizes))
	for i, n := range sizes {
		m, err := Load(context.Background(), dir.Manifest, dir.Path, Options{IntraOpThreads: 1, MaxBatch: n})
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		models[i] = m
	}
	text := strings.Repeat(benchParagraph+" ", MaxTextBytes/len(benchParagraph)+1)
	texts := slices.Repeat([]string{text[:MaxTextBytes]}, MaxTexts)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := make([][]time.Duration, len(sizes))
	for b.Loop() {
		for i, m := range models {
			start := threadCPU(b)
			if _, err := m.Classify(context.Background(), texts, Query{}); err != nil {
				b.Fatal(err)
			}
			cpu[i] = append(cpu[i], threadCPU(b)-start)
		}
	}
	p8, _ := percentiles(cpu[0])
	p32, _ := percentiles(cpu[1])
	b.ReportMetric(p8, "cpu_ms_8")
	b.ReportMetric(p32, "cpu_ms_32")
	b.ReportMetric(p8/p32, "x_8_over_32")
}
