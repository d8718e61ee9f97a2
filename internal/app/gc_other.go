//go:build !linux

package app

// memoryAvailable is unknown off Linux: no soft limit is set there.
func memoryAvailable() int64 { return 0 }
