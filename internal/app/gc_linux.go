package app

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// memoryAvailable is the memory this process may use: its cgroup's limit
// (version 2, as containers set it) when there is one, else the
// machine's; 0 if neither can be read.
func memoryAvailable() int64 {
	var info syscall.Sysinfo_t
	var total int64
	if syscall.Sysinfo(&info) == nil {
		total = int64(info.Totalram) * int64(info.Unit)
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n // "max" (no limit) does not parse
		}
	}
	return total
}
