package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// ErrUnloadable marks a version whose files match their hashes but which serving
// cannot load (an id list that disagrees with the manifest, a graph missing or of
// the wrong shape, a vocabulary without its unknown token, ...).
var ErrUnloadable = errors.New("checkpoint cannot be loaded")

// ReadParity reads and parses parity.json of the version in dir; a missing or
// malformed file wraps ErrInvalid.
func ReadParity(dir string) (*Parity, error) {
	data, err := os.ReadFile(filepath.Join(dir, ParityFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return ParseParity(data)
}

// Covers reports, wrapping ErrParity, each of files that no check of p runs: every
// graph that serving runs must prove itself against a reference.
func (p *Parity) Covers(files ...string) error {
	var missing []string
	for _, f := range files {
		if !slices.ContainsFunc(p.Checks, func(c ParityCheck) bool { return c.File == f }) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: parity.json has no check of %v", ErrParity, missing)
	}
	return nil
}
