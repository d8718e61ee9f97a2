package cache

import (
	"errors"
	"testing"
	"time"
)

func TestMap(t *testing.T) {
	var c Map[int, string]
	loads := 0
	load := func(v string) func() (string, error) {
		return func() (string, error) { loads++; return v, nil }
	}
	if v, _ := c.Get(1, 0, load("a")); v != "a" {
		t.Fatal(v)
	}
	if v, _ := c.Get(1, 0, load("b")); v != "a" || loads != 1 {
		t.Fatalf("cached read = %q after %d loads", v, loads)
	}
	c.Forget(1)
	if v, _ := c.Get(1, 0, load("b")); v != "b" {
		t.Fatalf("after Forget = %q", v)
	}
	if _, err := c.Get(2, 0, func() (string, error) { return "", errors.New("down") }); err == nil {
		t.Fatal("load error lost")
	}
	if v, _ := c.Get(2, 0, load("c")); v != "c" {
		t.Fatalf("an error was cached: %q", v)
	}
	c.ForgetIf(func(k int, v string) bool { return v == "c" })
	if v, _ := c.Get(1, 0, load("x")); v != "b" {
		t.Fatalf("ForgetIf dropped too much: %q", v)
	}
	c.Clear()
	if v, _ := c.Get(1, 0, load("d")); v != "d" {
		t.Fatalf("after Clear = %q", v)
	}
}

// TestLoadRacingForget: a value loaded before a change and returned after
// the change was announced is used once, not kept.
func TestLoadRacingForget(t *testing.T) {
	var c Map[int, string]
	c.Get(1, 0, func() (string, error) {
		c.Forget(1) // the change's event is handled while the read is in flight
		return "stale", nil
	})
	if v, _ := c.Get(1, 0, func() (string, error) { return "fresh", nil }); v != "fresh" {
		t.Fatalf("a load that raced a Forget was kept: %q", v)
	}
}

func TestTTL(t *testing.T) {
	var c Map[int, int]
	c.Get(1, time.Millisecond, func() (int, error) { return 1, nil })
	time.Sleep(3 * time.Millisecond)
	if v, _ := c.Get(1, time.Millisecond, func() (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("expired value used: %d", v)
	}
}
