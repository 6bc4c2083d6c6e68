//go:build race

package e2e

// raceBuild reports a build with the race detector, which slows CPU-bound work such as a
// checkpoint's verification several times and so distorts latency comparisons.
const raceBuild = true
