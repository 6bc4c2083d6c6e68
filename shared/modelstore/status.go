package modelstore

// Status says which version a cache serves and which active version, if any,
// it failed to fetch or load on its last attempt.
type Status struct {
	Serving string // "" while nothing is loaded
	Failed  string // "" unless the last attempt at the active version failed
}

// Status reports the version serving and the last failed one (for GET /v1/models).
func (c *Cache[T]) Status() Status {
	var s Status
	if m := c.current.Load(); m != nil {
		s.Serving = m.Manifest.Version
	}
	if f := c.failed.Load(); f != nil {
		s.Failed = *f
	}
	return s
}

// fail records that version failed with err; permanent marks a failure of the
// version's files (integrity, manifest, load) rather than of the moment (a
// timeout, S3 unavailable), which a loaded cache does not retry while the pointer
// names that version. The caller holds mu.
func (c *Cache[T]) fail(version string, err error, permanent bool) error {
	c.failed.Store(&version)
	c.broken = nil
	if permanent {
		c.broken = err
	}
	return err
}
