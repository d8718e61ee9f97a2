//go:build !(linux || darwin || freebsd)

package blob

import "errors"

// freeBytes is unknown here; health then relies on failed writes alone.
func freeBytes(string) (uint64, error) {
	return 0, errors.ErrUnsupported
}
