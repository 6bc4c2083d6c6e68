package benchtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPeerTurns(t *testing.T) {
	// a peer answering "N" with N pairs; "bad" with a malformed line; "short" with one pair too few
	script := `echo ready
while read req; do
  case "$req" in
    bad) echo "1.5;2" ;;
    short) echo "1.0,0.5" ;;
    *) out=""; i=0; while [ $i -lt "$req" ]; do out="$out 2.5,1.25"; i=$((i+1)); done; echo $out ;;
  esac
done`
	p, err := StartPeer(t, "sh", exec.Command("sh", "-c", script))
	if err != nil {
		t.Fatal(err)
	}
	wall, cpu, err := p.Turn("3", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(wall) != 3 || wall[2] != 2500*time.Microsecond || cpu[0] != 1250*time.Microsecond {
		t.Fatalf("wall %v cpu %v", wall, cpu)
	}
	for req, want := range map[string]string{"bad": `answered "1.5;2"`, "short": "timed 1 calls, want 2"} {
		if _, _, err := p.Turn(req, 2); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", req, err, want)
		}
	}
}

func TestPeerThatDoesNotStart(t *testing.T) {
	if _, err := StartPeer(t, "silent", exec.Command("sh", "-c", "echo loading; exit 1")); err == nil ||
		!strings.Contains(err.Error(), `did not start ("loading")`) {
		t.Fatalf("err %v", err)
	}
	if _, err := StartPeer(t, "absent", exec.Command("/no/such/peer")); err == nil {
		t.Fatal("want an error for a missing executable")
	}
}

func TestTurnsSpreadOverTheRun(t *testing.T) {
	cases := []struct {
		benchtime string
		n         int
		steps     int // our calls, one per step
		step      time.Duration
		want      []int // calls after which a turn was due
	}{
		{"1s", 3, 10, 100 * time.Millisecond, []int{3, 5, 8}},
		{"20x", 4, 20, time.Millisecond, []int{4, 8, 12, 16}},
		{"2s", 1, 5, 100 * time.Millisecond, nil}, // the loop ended before half of 2 s
		{"1s", 0, 10, 100 * time.Millisecond, []int{5}},
	}
	for _, c := range cases {
		tr := &Turns{n: max(1, c.n), duration: time.Second}
		tr.parse(c.benchtime)
		var got []int
		for i := 1; i <= c.steps; i++ {
			if tr.Due(i, time.Duration(i)*c.step) {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, c.want) || tr.Taken() != len(c.want) {
			t.Errorf("%s n=%d: turns after %v, want %v", c.benchtime, c.n, got, c.want)
		}
	}
}
