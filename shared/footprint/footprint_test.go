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
