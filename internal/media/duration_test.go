package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"time"
)

func el(id []byte, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	size := make([]byte, 8)
	binary.BigEndian.PutUint64(size, uint64(len(b)))
	size[0] = 0x01 // an 8-byte size
	return append(append(append([]byte{}, id...), size...), b...)
}

// live is an element of unknown size, as MediaRecorder writes its
// segment and clusters.
func live(id []byte, body ...[]byte) []byte {
	return append(append(append([]byte{}, id...), 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), bytes.Join(body, nil)...)
}

func block(rel int16) []byte {
	b := []byte{0x81, 0, 0, 0x80, 1, 2, 3, 4} // track 1, time, keyframe, data
	binary.BigEndian.PutUint16(b[1:3], uint16(rel))
	return el([]byte{0xA3}, b)
}

func webm(info []byte, clusters ...[]byte) []byte {
	header := el([]byte{0x1A, 0x45, 0xDF, 0xA3}, el([]byte{0x42, 0x82}, []byte("webm")))
	tracks := el([]byte{0x16, 0x54, 0xAE, 0x6B}, el([]byte{0xAE}, el([]byte{0xD7}, []byte{1})))
	return append(header, live([]byte{0x18, 0x53, 0x80, 0x67}, append([][]byte{el([]byte{0x15, 0x49, 0xA9, 0x66}, info), tracks}, clusters...)...)...)
}

func cluster(at uint16, blocks ...[]byte) []byte {
	tc := make([]byte, 2)
	binary.BigEndian.PutUint16(tc, at)
	return live([]byte{0x1F, 0x43, 0xB6, 0x75}, append([][]byte{el([]byte{0xE7}, tc)}, blocks...)...)
}

func box(kind string, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	h := make([]byte, 8)
	binary.BigEndian.PutUint32(h, uint32(8+len(b)))
	copy(h[4:], kind)
	return append(h, b...)
}

func mvhd(timescale, duration uint32) []byte {
	b := make([]byte, 100)
	binary.BigEndian.PutUint32(b[12:], timescale)
	binary.BigEndian.PutUint32(b[16:], duration)
	return box("mvhd", b)
}

func TestDuration(t *testing.T) {
	scale := el([]byte{0x2A, 0xD7, 0xB1}, []byte{0x0F, 0x42, 0x40}) // 1,000,000 ns a tick
	declared := make([]byte, 8)
	binary.BigEndian.PutUint64(declared, math.Float64bits(3000))
	mehd := box("mehd", []byte{0, 0, 0, 0, 0, 0, 0x1B, 0x58}) // 7000
	for _, c := range []struct {
		name, ctype string
		file        []byte
		want        time.Duration
		ok          bool
	}{
		{"a live recording: the last block's time", "video/webm", webm(scale, cluster(0, block(0), block(1000)), cluster(2000, block(0), block(500))), 2500 * time.Millisecond, true},
		{"a declared duration", "video/webm", webm(append(scale, el([]byte{0x44, 0x89}, declared)...), cluster(0, block(0), block(40))), 3 * time.Second, true},
		{"another timecode scale", "video/webm", webm(el([]byte{0x2A, 0xD7, 0xB1}, []byte{0x98, 0x96, 0x80}), cluster(0, block(150))), 1500 * time.Millisecond, true},
		{"no blocks", "video/webm", webm(scale), 0, false},
		{"not WebM", "video/webm", []byte("\x89PNG\r\n\x1a\nrest"), 0, false},
		{"truncated mid-block", "video/webm", webm(scale, cluster(0, block(0), block(900)))[:90], 0, false},
		{"mp4 movie header", "video/mp4", append(append(box("ftyp", []byte("isom\x00\x00\x02\x00")), box("moov", mvhd(1000, 4200))...), box("mdat", make([]byte, 64))...), 4200 * time.Millisecond, true},
		{"mp4 header at the end", "video/mp4", append(box("mdat", make([]byte, 64)), box("moov", mvhd(600, 900))...), 1500 * time.Millisecond, true},
		{"fragmented mp4", "video/mp4", append(box("ftyp", []byte("iso5")), box("moov", mvhd(1000, 0), box("mvex", mehd))...), 7 * time.Second, true},
		{"mp4 without a header", "video/mp4", box("mdat", make([]byte, 16)), 0, false},
		{"an image", "image/png", []byte("\x89PNG"), 0, false},
	} {
		got, ok := Duration(bytes.NewReader(c.file), c.ctype)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// FuzzDuration: any bytes give an answer, never a panic or a hang.
func FuzzDuration(f *testing.F) {
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x80, 0x18, 0x53, 0x80, 0x67, 0xFF, 0xA3, 0x84, 0x81, 0, 10, 0x80}, true)
	f.Add(box("moov", mvhd(1000, 10)), false)
	f.Fuzz(func(t *testing.T, b []byte, isWebM bool) {
		ct := "video/mp4"
		if isWebM {
			ct = "video/webm"
		}
		if d, ok := Duration(bytes.NewReader(b), ct); ok && (d <= 0 || d > 24*time.Hour) {
			t.Fatalf("%v for %x", d, b)
		}
	})
}
