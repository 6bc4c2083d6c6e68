package checkpoint_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
)

func TestVerify(t *testing.T) {
	c := checkpointtest.NCF("v1", created)
	good := c.Files["users.json"]
	tests := []struct {
		name string
		file string
		data []byte
		want string // "" = valid
	}{
		{"good", "users.json", good, ""},
		{"flipped byte", "users.json", append([]byte{good[0] ^ 1}, good[1:]...), "has sha256"},
		{"short", "users.json", good[:len(good)-1], "bytes, manifest says"},
		{"long", "users.json", append(append([]byte{}, good...), ' '), "or more bytes"},
		{"unlisted", "extra.bin", good, "not listed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Manifest.Verify(tt.file, bytes.NewReader(tt.data))
			if tt.want == "" {
				if err != nil {
					t.Errorf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, checkpoint.ErrIntegrity) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("Verify = %v, want ErrIntegrity naming %s and containing %q", err, tt.file, tt.want)
			}
		})
	}
}

func TestOpenDir(t *testing.T) {
	root := t.TempDir()
	c := checkpointtest.Classifier("v1", created)
	if err := c.WriteTo(root); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "classifier", "v1")
	d, err := checkpoint.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := d.File("vocab.txt"); err != nil || p != filepath.Join(dir, "vocab.txt") {
		t.Errorf("File(vocab.txt) = %q, %v", p, err)
	}
	if _, err := d.File("../../secret"); err == nil {
		t.Error("File(../../secret) = nil error, want one")
	}
	if data, err := d.ReadFile("vocab.txt"); err != nil || !strings.HasPrefix(string(data), "[PAD]") {
		t.Errorf("ReadFile = %q, %v", data, err)
	}

	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.OpenDir(dir); !errors.Is(err, checkpoint.ErrIntegrity) || !strings.Contains(err.Error(), dir) {
		t.Errorf("OpenDir(tampered) = %v, want ErrIntegrity naming %s", err, dir)
	}
	if _, err := checkpoint.OpenDir(filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("OpenDir(missing) = %v, want an error naming the directory", err)
	}
}
