package main

import (
	"testing"

	"github.com/contentml/mlbundle/shared/footprint"
)

// TestLambdaMemoryCoversMeasuredPeak ties each function's memory size to the peak memory
// measured for its largest request (shared/footprint, measured by cmd/mlbundle
// TestPeakRSS): the size must be at least the peak times footprint.Headroom.
func TestLambdaMemoryCoversMeasuredPeak(t *testing.T) {
	// GIVEN the serving template and the measured peaks
	f := getFixture(t)
	fns := f.resources(ServingStackName, "AWS::Lambda::Function")
	for name := range footprint.PeakMiB {
		t.Run(name, func(t *testing.T) {
			fn, ok := f.stacks.Serving.Functions[name]
			if !ok {
				t.Fatalf("a peak is recorded for %s, but the stack has no such function", name)
			}
			// WHEN we read its memory size
			got, _ := props(fns[logicalID(fn)])["MemorySize"].(float64)
			// THEN it holds the measured peak with the headroom
			if want := footprint.RequiredMB(name); got < float64(want) || want == 0 {
				t.Errorf("MemorySize %v MB, want at least %d MB (peak %d MiB x %.1f)",
					got, want, footprint.PeakMiB[name], footprint.Headroom)
			}
		})
	}
}
