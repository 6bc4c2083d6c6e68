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
	// 890 MiB: 1M-item NeuMF with its retrieval index, one recommend for a known user
	// (`mlbundle invoke recommend`, VmHWM; 130 MiB at 100,000 items without an index,
	// k=100 for a known and a new user, 1000 scores; docs/cost-and-scale.md)
	"recommend": 896,
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

// CheckpointMiB is the size on disk, in MiB, of the largest checkpoint version a function
// fetches from S3 into /tmp (every file but the training ones), rounded up to the next 16
// MiB: the 1M-item NeuMF checkpoint with its retrieval index, 664.1 MiB
// (docs/cost-and-scale.md).
var CheckpointMiB = map[string]int{
	"recommend": 672,
	"reload":    672,
}

// lambdaDefaultDiskMB is Lambda's ephemeral storage (/tmp) when none is set.
const lambdaDefaultDiskMB = 512

// DiskMB is the ephemeral storage, in MB, that function fn needs: two versions at once
// (serving keeps the old version's files until the new one has loaded; reload fetches a
// version beside a previous fetch) times Headroom, and never below Lambda's default.
func DiskMB(fn string) int {
	ckpt, ok := CheckpointMiB[fn]
	if !ok {
		return lambdaDefaultDiskMB
	}
	return max(lambdaDefaultDiskMB, int(2*float64(ckpt)*1.048576*Headroom+0.999))
}
