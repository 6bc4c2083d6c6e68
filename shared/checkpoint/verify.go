package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrIntegrity marks a file whose size or sha256 differs from the manifest, or
// that the manifest does not list.
var ErrIntegrity = errors.New("checkpoint integrity")

// Verify reads r to the end and checks that it is the file called name in m: same
// size and sha256. It stops reading one byte past the expected size.
func (m *Manifest) Verify(name string, r io.Reader) error {
	want, ok := m.Files[name]
	if !ok {
		return fmt.Errorf("%w: %s/%s: %s is not listed in the manifest", ErrIntegrity, m.Kind, m.Version, name)
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, want.Size+1))
	if err != nil {
		return fmt.Errorf("%s/%s: read %s: %w", m.Kind, m.Version, name, err)
	}
	if n != want.Size {
		more := ""
		if n > want.Size {
			more = " or more"
		}
		return fmt.Errorf("%w: %s/%s: %s has %d%s bytes, manifest says %d", ErrIntegrity, m.Kind, m.Version, name, n, more, want.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return fmt.Errorf("%w: %s/%s: %s has sha256 %s, manifest says %s", ErrIntegrity, m.Kind, m.Version, name, got, want.SHA256)
	}
	return nil
}

// Dir is a local directory holding one complete, verified version.
type Dir struct {
	// Path is the directory (…/<kind>/<version>).
	Path     string
	Manifest *Manifest
}

// File returns the path of a file of the version. The name must be listed in the
// manifest (names there are validated base names, so the path stays inside Path).
func (d *Dir) File(name string) (string, error) {
	if _, ok := d.Manifest.Files[name]; !ok {
		return "", fmt.Errorf("%w: %s/%s has no file %q", ErrInvalid, d.Manifest.Kind, d.Manifest.Version, name)
	}
	return filepath.Join(d.Path, name), nil
}

// ReadFile returns the contents of a file of the version.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	p, err := d.File(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// OpenDir reads and validates path/manifest.json and verifies every file it lists.
func OpenDir(path string) (*Dir, error) {
	data, err := os.ReadFile(filepath.Join(path, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	for name := range m.Files {
		if err := verifyFile(m, filepath.Join(path, name), name); err != nil {
			return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
		}
	}
	return &Dir{Path: path, Manifest: m}, nil
}

func verifyFile(m *Manifest, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return m.Verify(name, f)
}
