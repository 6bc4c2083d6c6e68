package benchtest

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Peer is a benchmark peer in its serving mode: a process that prints "ready"
// once its model is loaded, then answers each request line it reads with one
// line of space-separated "wall_ms,cpu_ms" pairs, one per timed call. Our side
// and the peers take turns (Turns) in the same run, so that a change of load
// on the machine reaches every side.
type Peer struct {
	name string
	in   io.WriteCloser
	out  *bufio.Scanner
}

// StartPeer starts cmd (its Stdin and Stdout must be unset) and waits for its
// "ready" line; the process ends with the benchmark (tb.Cleanup).
func StartPeer(tb testing.TB, name string, cmd *exec.Cmd) (*Peer, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start peer %s: %w", name, err)
	}
	tb.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	p := &Peer{name: name, in: in, out: bufio.NewScanner(out)}
	p.out.Buffer(make([]byte, 0, 1<<16), 1<<24)
	if !p.out.Scan() || p.out.Text() != "ready" {
		return nil, fmt.Errorf("peer %s did not start (%q)", name, p.out.Text())
	}
	return p, nil
}

// Turn sends one request line and returns the wall and CPU times of the calls
// the peer answers with; it must answer exactly calls of them.
func (p *Peer) Turn(request string, calls int) (wall, cpu []time.Duration, err error) {
	if _, err := fmt.Fprintln(p.in, request); err != nil {
		return nil, nil, fmt.Errorf("peer %s: %w", p.name, err)
	}
	if !p.out.Scan() {
		return nil, nil, fmt.Errorf("peer %s stopped: %v", p.name, p.out.Err())
	}
	for _, pair := range strings.Fields(p.out.Text()) {
		w, c, ok := strings.Cut(pair, ",")
		wallMS, err1 := strconv.ParseFloat(w, 64)
		cpuMS, err2 := strconv.ParseFloat(c, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("peer %s answered %q", p.name, p.out.Text())
		}
		wall = append(wall, time.Duration(wallMS*float64(time.Millisecond)))
		cpu = append(cpu, time.Duration(cpuMS*float64(time.Millisecond)))
	}
	if len(wall) != calls {
		return nil, nil, fmt.Errorf("peer %s timed %d calls, want %d", p.name, len(wall), calls)
	}
	return wall, cpu, nil
}

// Turns spreads about n peer turns evenly over our side's timed loop: due
// reports whether a turn is due after ours has made calls calls in spent time
// (both counted from the start), by the share of -test.benchtime done (a
// duration, or a count such as 200x).
type Turns struct {
	n, done  int
	duration time.Duration
	count    int
}

// NewTurns plans n turns over the run's -test.benchtime.
func NewTurns(n int) *Turns {
	t := &Turns{n: max(1, n), duration: time.Second}
	if f := flag.Lookup("test.benchtime"); f != nil {
		t.parse(f.Value.String())
	}
	return t
}

func (t *Turns) parse(benchtime string) {
	if c, ok := strings.CutSuffix(benchtime, "x"); ok {
		if n, err := strconv.Atoi(c); err == nil && n > 0 {
			t.count = n
			return
		}
	}
	if d, err := time.ParseDuration(benchtime); err == nil && d > 0 {
		t.duration = d
	}
}

// Due reports whether the next turn is due, and counts it as taken when it is.
func (t *Turns) Due(calls int, spent time.Duration) bool {
	share := float64(spent) / float64(t.duration)
	if t.count > 0 {
		share = float64(calls) / float64(t.count)
	}
	if t.done < t.n && share >= float64(t.done+1)/float64(t.n+1) {
		t.done++
		return true
	}
	return false
}

// Taken is how many turns were due so far.
func (t *Turns) Taken() int { return t.done }
