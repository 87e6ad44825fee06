//go:build !unix

package sqlite

// FreeBytes cannot read free space here (ok is false); readiness relies on the probe
// write alone.
func FreeBytes(dir string) (free uint64, ok bool) { return 0, false }
