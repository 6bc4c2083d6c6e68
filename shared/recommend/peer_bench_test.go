package recommend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
)

func durationsMS(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = ms(d)
	}
	return out
}

type namedPeer struct {
	name string
	peer *benchtest.Peer
}

// startPeers starts the PyTorch-eager and the Python ONNX Runtime peers
// (testdata/torch_peer.py --serve, one thread each) on the checkpoint in dir; none
// when peerRequests is 0, and none (logged) when either cannot start.
func startPeers(b *testing.B, dir, user string, seen []string, peerRequests int) []namedPeer {
	if peerRequests == 0 {
		return nil
	}
	python, err := benchPython()
	if err != nil {
		b.Logf("no Python peers, Go numbers only: %v", err)
		return nil
	}
	abs, _ := filepath.Abs(dir)
	script, _ := filepath.Abs(filepath.Join("testdata", "torch_peer.py"))
	var out []namedPeer
	for _, p := range []struct{ name, engine string }{{"torch", "torch"}, {"ort_python", "ort"}} {
		cmd := pythonCmd(python, script, "--serve", "--checkpoint", abs, "--user", user, "--engine", p.engine,
			"--seen", strings.Join(seen, ","), "--threads", "1")
		cmd.Stderr = os.Stderr
		peer, err := benchtest.StartPeer(b, p.name, cmd)
		if err != nil {
			b.Logf("no Python peers, Go numbers only: %v", err)
			return nil
		}
		out = append(out, namedPeer{p.name, peer})
	}
	return out
}
