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

// TestLambdaDiskCoversTheLargestCheckpoint ties the ephemeral storage (/tmp) of every
// function that fetches checkpoints to the measured size of the largest one
// (shared/footprint.DiskMB: two versions at once, with headroom).
func TestLambdaDiskCoversTheLargestCheckpoint(t *testing.T) {
	// GIVEN the serving template and the measured checkpoint sizes
	f := getFixture(t)
	fns := f.resources(ServingStackName, "AWS::Lambda::Function")
	for name := range footprint.CheckpointMiB {
		t.Run(name, func(t *testing.T) {
			fn, ok := f.stacks.Serving.Functions[name]
			if !ok {
				t.Fatalf("a checkpoint size is recorded for %s, but the stack has no such function", name)
			}
			// WHEN we read its ephemeral storage
			eph, _ := props(fns[logicalID(fn)])["EphemeralStorage"].(map[string]any)
			got, _ := eph["Size"].(float64)
			// THEN it holds two versions of the largest checkpoint with the headroom
			if want := footprint.DiskMB(name); got < float64(want) || want <= 512 {
				t.Errorf("EphemeralStorage %v MB, want at least %d MB (2 x %d MiB x %.1f)",
					got, want, footprint.CheckpointMiB[name], footprint.Headroom)
			}
		})
	}
}
