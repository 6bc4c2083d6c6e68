package checkpoint_test

import (
	"encoding/json"
	"math/big"
	"reflect"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
)

// FuzzParseParity checks what ParseParity accepts: every tensor holds exactly as many
// values as its shape says (computed without overflow), every check names a valid file
// and a tolerance >= 0, and writing the value back and parsing it again gives the same
// value. Seeds: the fixtures' parity files (testdata/fuzz/FuzzParseParity) and these.
func FuzzParseParity(f *testing.F) {
	f.Add(checkpointtest.NCF("v1", created).Files["parity.json"])
	f.Add(checkpointtest.Classifier("v1", created).Files["parity.json"])
	f.Add([]byte(`{"checks":[{"file":"model.onnx","tolerance":0.001,"inputs":{"user":{"dtype":"int64","shape":[2],"data":[0,1]}},"outputs":{"logit":{"dtype":"float32","shape":[2],"data":[0.5,-1]}}}]}`))
	// shape whose product overflows int64 to 0: must not pass for an empty tensor
	f.Add([]byte(`{"checks":[{"file":"model.onnx","tolerance":0,"inputs":{"user":{"dtype":"int64","shape":[4294967296,4294967296],"data":[]}},"outputs":{"logit":{"dtype":"float32","shape":[0],"data":[]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := checkpoint.ParseParity(data)
		if err != nil {
			return
		}
		for i, c := range p.Checks {
			if checkpoint.CheckFileName(c.File) != nil || !(c.Tolerance >= 0) {
				t.Fatalf("check %d accepted with file %q tolerance %v", i, c.File, c.Tolerance)
			}
			for name, x := range mergeTensors(c.Inputs, c.Outputs) {
				if n := values(x); !sameCount(x.Shape, n) {
					t.Fatalf("check %d tensor %s: shape %v with %d values accepted", i, name, x.Shape, n)
				}
			}
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted parity does not encode: %v", err)
		}
		q, err := checkpoint.ParseParity(again)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the parity file: %v\n%+v\n%+v", err, p, q)
		}
	})
}

func mergeTensors(a, b map[string]checkpoint.ParityTensor) map[string]checkpoint.ParityTensor {
	out := map[string]checkpoint.ParityTensor{}
	for k, v := range a {
		out["in:"+k] = v
	}
	for k, v := range b {
		out["out:"+k] = v
	}
	return out
}

func values(x checkpoint.ParityTensor) int {
	if x.DType == "int64" {
		return len(x.Ints)
	}
	return len(x.Data)
}

// sameCount reports whether the product of shape, in exact arithmetic, is n.
func sameCount(shape []int64, n int) bool {
	p := big.NewInt(1)
	for _, d := range shape {
		if d < 0 {
			return false
		}
		p.Mul(p, big.NewInt(d))
	}
	return p.Cmp(big.NewInt(int64(n))) == 0
}
