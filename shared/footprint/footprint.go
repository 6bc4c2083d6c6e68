// Package footprint records how much memory each function was measured to need, so that
// the Lambda memory sizes in infra/ follow from a measurement and a test fails when
// either drifts: cmd/mlbundle TestPeakRSS fails when a function needs more than its
// recorded peak, and the infra tests fail when a function's memory size is below the
// recorded peak times Headroom.
package footprint

// PeakMiB is the peak resident set, in MiB, of a fresh process that serves one
// function's routes and answers the largest request each route accepts, three times, one
// at a time as a Lambda sandbox does (VmHWM; the checkpoints and the command are in
// docs/reliability.md). Each figure is the measured peak rounded up to the next 16 MiB.
var PeakMiB = map[string]int{
	"recommend": 144, // 130 MiB: 100,000-item NCF, k=100 for a known and a new user, 1000 scores
	"classify":  320, // 305 MiB: MiniLM-L6 int8 at 256 tokens, 64 texts of 16 KiB, runs of 8
	"ingest":    48,  // 45 MiB: 100 interactions with 200-byte ids
	"models":    48,  // 42 MiB: GET /v1/models and /healthz
}

// Headroom is the factor between a measured peak and the memory a function is given:
// room for a larger checkpoint than the one measured, the Lambda runtime and fragmentation.
const Headroom = 1.5

// RequiredMB is the least memory size, in MB, that function fn may be given; 0 when fn
// has no measurement.
func RequiredMB(fn string) int {
	peak, ok := PeakMiB[fn]
	if !ok {
		return 0
	}
	mb := float64(peak) * 1.048576 * Headroom // MiB -> MB
	return int(mb + 0.999)
}
