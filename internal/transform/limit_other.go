//go:build !linux

package transform

// limitAddressSpace does nothing where the kernel does not enforce an
// address-space limit (RLIMIT_AS is ignored on macOS): a worker there is
// bounded in time, stack and allocations only (see Limits.Memory).
func limitAddressSpace(int64) (int64, error) { return 0, nil }
