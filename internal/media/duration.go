// Package media reads what Parley shows about a video without decoding
// it: its length, from the container's own bookkeeping.
//
// A browser's MediaRecorder writes WebM as a live stream: the segment
// and its clusters have "unknown" sizes and the header has no Duration,
// so players show no length until they have read the whole file. The
// length is still there, in the timestamps of the blocks; Duration walks
// the elements once and takes the last. MP4 keeps it in the movie header.
package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"time"
)

// Duration returns a video's length, or false when the container does not
// say (a type it does not read, a damaged or truncated file). It reads r
// to the end at most once and never holds more than a few bytes of it.
func Duration(r io.Reader, contentType string) (time.Duration, bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	switch contentType {
	case "video/webm", "audio/webm", "video/x-matroska":
		return webmDuration(br)
	case "video/mp4", "video/quicktime", "audio/mp4":
		return mp4Duration(br)
	}
	return 0, false
}

// Matroska element ids (with their length markers, as written).
const (
	idSegment       = 0x18538067
	idInfo          = 0x1549A966
	idTimecodeScale = 0x2AD7B1
	idDuration      = 0x4489
	idCluster       = 0x1F43B675
	idTimecode      = 0xE7
	idBlockGroup    = 0xA0
	idBlock         = 0xA1
	idSimpleBlock   = 0xA3
)

// containers are entered rather than skipped: their children follow
// their header directly, so a flat walk works even when their size is
// unknown (a live recording's segment and clusters).
var containers = map[uint32]bool{idSegment: true, idInfo: true, idCluster: true, idBlockGroup: true}

func webmDuration(r *bufio.Reader) (time.Duration, bool) {
	scale := uint64(1_000_000) // nanoseconds per timecode tick, Matroska's default
	var declared float64       // Info's Duration, in ticks, when written
	var cluster uint64
	var last int64 = -1 // the latest block's time, in ticks
	first := true
	for {
		id, err := readID(r)
		if err != nil {
			break
		}
		if first && id != 0x1A45DFA3 { // an EBML header starts every WebM
			return 0, false
		}
		first = false
		size, unknown, err := readSize(r)
		if err != nil {
			break
		}
		if containers[id] {
			continue
		}
		if unknown || size > 64<<20 {
			break // a non-container of unknown or absurd size: damaged
		}
		switch id {
		case idTimecodeScale, idTimecode:
			v, err := readUint(r, size)
			if err != nil {
				return 0, false
			}
			if id == idTimecodeScale && v > 0 {
				scale = v
			} else if id == idTimecode {
				cluster = v
			}
			continue
		case idDuration:
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				return 0, false
			}
			switch size {
			case 4:
				declared = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
			case 8:
				declared = math.Float64frombits(binary.BigEndian.Uint64(b))
			}
			continue
		case idSimpleBlock, idBlock:
			n, err := skipVint(r)
			if err != nil || size < uint64(n)+3 {
				return 0, false
			}
			var rel [2]byte
			if _, err := io.ReadFull(r, rel[:]); err != nil {
				break
			}
			if t := int64(cluster) + int64(int16(binary.BigEndian.Uint16(rel[:]))); t > last {
				last = t
			}
			size -= uint64(n) + 2
		}
		if _, err := r.Discard(int(size)); err != nil {
			break
		}
	}
	ticks := math.Max(declared, float64(last))
	if ticks <= 0 || math.IsNaN(ticks) || ticks*float64(scale) > float64(24*time.Hour) {
		return 0, false
	}
	d := time.Duration(ticks * float64(scale))
	return d, d > 0
}

var errVint = errors.New("media: bad variable-length integer")

// readID reads an element id, keeping its length marker as ids are
// written in the specification.
func readID(r *bufio.Reader) (uint32, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := lengthOf(b)
	if n == 0 || n > 4 {
		return 0, errVint
	}
	id := uint32(b)
	for range n - 1 {
		c, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		id = id<<8 | uint32(c)
	}
	return id, nil
}

// readSize reads an element's data size; all value bits set means unknown.
func readSize(r *bufio.Reader) (size uint64, unknown bool, err error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	n := lengthOf(b)
	if n == 0 {
		return 0, false, errVint
	}
	size = uint64(b) & (0xFF >> n)
	all := size == 0xFF>>n
	for range n - 1 {
		c, err := r.ReadByte()
		if err != nil {
			return 0, false, err
		}
		size = size<<8 | uint64(c)
		all = all && c == 0xFF
	}
	return size, all, nil
}

// skipVint skips a variable-length integer (a block's track number) and
// says how many bytes it took.
func skipVint(r *bufio.Reader) (int, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := lengthOf(b)
	if n == 0 {
		return 0, errVint
	}
	_, err = r.Discard(n - 1)
	return n, err
}

// lengthOf is a variable-length integer's length from its first byte: one
// more than its leading zero bits; 0 when the byte is zero (invalid).
func lengthOf(b byte) int {
	for n := 1; n <= 8; n++ {
		if b&(0x80>>(n-1)) != 0 {
			return n
		}
	}
	return 0
}

func readUint(r *bufio.Reader, size uint64) (uint64, error) {
	if size > 8 {
		return 0, errVint
	}
	var v uint64
	for range size {
		c, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// mp4Duration reads the movie header (moov/mvhd), or the fragmented
// movie's declared length (moov/mvex/mehd) when the header says zero.
func mp4Duration(r *bufio.Reader) (time.Duration, bool) {
	var timescale, duration, fragments uint64
	depth := []uint64{math.MaxUint64} // bytes left in each enclosing box
	for {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			break
		}
		size, kind, head := uint64(binary.BigEndian.Uint32(h[:4])), string(h[4:]), uint64(8)
		if size == 1 {
			var l [8]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				break
			}
			size, head = binary.BigEndian.Uint64(l[:]), 16
		}
		if size == 0 || size < head || size > depth[len(depth)-1] {
			break // to the end of the file, or damaged: nothing more to read
		}
		body := size - head
		// A box counts against its parent only: the parent's own size
		// was already taken from the level above it.
		if top := len(depth) - 1; depth[top] != math.MaxUint64 {
			depth[top] -= size
		}
		switch kind {
		case "moov", "mvex":
			depth = append(depth, body)
			continue
		case "mvhd", "mehd":
			b := make([]byte, min(body, 32))
			if _, err := io.ReadFull(r, b); err != nil || len(b) < 4 {
				return 0, false
			}
			v1 := b[0] == 1
			switch {
			case kind == "mvhd" && v1 && len(b) >= 32:
				timescale, duration = uint64(binary.BigEndian.Uint32(b[20:24])), binary.BigEndian.Uint64(b[24:32])
			case kind == "mvhd" && !v1 && len(b) >= 20:
				timescale, duration = uint64(binary.BigEndian.Uint32(b[12:16])), uint64(binary.BigEndian.Uint32(b[16:20]))
			case kind == "mehd" && v1 && len(b) >= 12:
				fragments = binary.BigEndian.Uint64(b[4:12])
			case kind == "mehd" && !v1 && len(b) >= 8:
				fragments = uint64(binary.BigEndian.Uint32(b[4:8]))
			}
			body -= uint64(len(b))
		}
		if _, err := r.Discard(int(min(body, math.MaxInt32))); err != nil {
			break
		}
		for len(depth) > 1 && depth[len(depth)-1] == 0 {
			depth = depth[:len(depth)-1]
		}
	}
	if duration == 0 {
		duration = fragments
	}
	if timescale == 0 || duration == 0 || duration/timescale > 24*3600 {
		return 0, false
	}
	d := time.Duration(float64(duration) / float64(timescale) * float64(time.Second))
	return d, d > 0
}
