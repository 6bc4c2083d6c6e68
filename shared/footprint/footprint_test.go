package footprint

import "testing"

func TestRequiredMB(t *testing.T) {
	PeakMiB["test-fn"] = 100
	defer delete(PeakMiB, "test-fn")
	if got := RequiredMB("test-fn"); got != 158 { // 100 MiB = 104.9 MB, x 1.5 = 157.3
		t.Errorf("RequiredMB = %d, want 158", got)
	}
	if RequiredMB("unmeasured") != 0 {
		t.Error("an unmeasured function requires memory")
	}
}

func TestDiskMB(t *testing.T) {
	CheckpointMiB["test-fn"] = 1000
	defer delete(CheckpointMiB, "test-fn")
	tests := []struct {
		fn   string
		ckpt int
		want int
	}{
		{"test-fn", 1000, 3146}, // 2 x 1000 MiB = 2097.2 MB, x 1.5 = 3145.7
		{"small", 10, 512},      // never below Lambda's default
		{"unmeasured", -1, 512},
	}
	for _, tt := range tests {
		if tt.fn == "small" {
			CheckpointMiB["small"] = tt.ckpt
			defer delete(CheckpointMiB, "small")
		}
		if got := DiskMB(tt.fn); got != tt.want {
			t.Errorf("DiskMB(%s) = %d, want %d", tt.fn, got, tt.want)
		}
	}
}
