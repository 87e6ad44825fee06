//go:build unix

package sqlite

import "syscall"

// FreeBytes returns the space available to this process on dir's file
// system; ok is false when it cannot be read.
func FreeBytes(dir string) (free uint64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
