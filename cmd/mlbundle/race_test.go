//go:build race

package main

// raceBuild: the race detector multiplies memory use (shadow memory), so memory bounds
// measured without it are scaled by raceMemoryFactor under it.
const raceBuild = true
