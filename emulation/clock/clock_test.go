package clock_test

import (
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation/clock"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := clock.NewFake(start)
	a, b := f.NewTimer(time.Second), f.NewTimer(3*time.Second)
	if f.Timers() != 2 {
		t.Fatalf("%d timers, want 2", f.Timers())
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-a.C():
		t.Fatal("a fired before its second")
	default:
	}
	f.Advance(time.Millisecond)
	select {
	case at := <-a.C():
		if !at.Equal(start.Add(time.Second)) {
			t.Errorf("a fired at %v", at)
		}
	default:
		t.Fatal("a did not fire at its second")
	}
	if !b.Stop() || b.Stop() {
		t.Error("Stop of a waiting timer: want true, then false")
	}
	b.Reset(time.Second)
	if !f.WaitTimers(1, time.Second) {
		t.Fatal("Reset did not arm the timer")
	}
	f.Advance(time.Hour)
	if got := clock.Since(f, start); got != time.Hour+time.Second {
		t.Errorf("Since = %v", got)
	}
	select {
	case <-b.C():
	default:
		t.Error("b did not fire after Reset and Advance")
	}
	if f.WaitTimers(1, 10*time.Millisecond) {
		t.Error("WaitTimers saw a timer where none waits")
	}
}

func TestReal(t *testing.T) {
	c := clock.Real()
	tm := c.NewTimer(time.Millisecond)
	select {
	case <-tm.C():
	case <-time.After(5 * time.Second):
		t.Fatal("a real timer of 1 ms did not fire in 5 s")
	}
}
