package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFakeInstant(t *testing.T) {
	c := NewFake()
	start := c.Now()
	fired := false
	c.AfterFunc(3*time.Second, func() { fired = true })
	if err := c.Sleep(context.Background(), 2*time.Second); err != nil || fired {
		t.Fatalf("Sleep(2s) = %v, timer fired %v", err, fired)
	}
	_ = c.Sleep(context.Background(), 2*time.Second)
	if got := c.Now().Sub(start); got != 4*time.Second || !fired {
		t.Fatalf("after two 2 s sleeps: %v, timer fired %v", got, fired)
	}
	if got := c.Sleeps(); len(got) != 2 {
		t.Fatalf("Sleeps() = %v", got)
	}
}

func TestFakeManualBlockUntil(t *testing.T) {
	c := NewFake()
	c.Manual = true
	ctx := context.Background()
	done := make(chan error, 2)
	go func() { done <- c.Sleep(ctx, time.Second) }()
	go func() { done <- c.Sleep(ctx, 5*time.Second) }()
	if err := c.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if at, ok := c.Next(); !ok || at.Sub(c.Now()) != time.Second {
		t.Fatalf("Next() = %v, %v", at, ok)
	}
	c.AdvanceToNext()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c.Sleepers() != 1 {
		t.Fatalf("Sleepers() = %d after the first woke", c.Sleepers())
	}
	c.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFakeSleepEndsWithTheContext(t *testing.T) {
	c := NewFake()
	c.Manual = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Sleep(ctx, time.Hour) }()
	if err := c.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep = %v", err)
	}
	if c.Sleepers() != 0 {
		t.Fatal("a cancelled sleeper still waits")
	}
}

func TestFakeWithTimeout(t *testing.T) {
	c := NewFake()
	c.Manual = true
	ctx, cancel := c.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a virtual deadline must not show as a wall-clock one")
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	c.Advance(time.Second)
	if ctx.Err() != nil {
		t.Fatal("ended early")
	}
	c.Advance(time.Second)
	<-child.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Fatalf("ctx %v, child %v", ctx.Err(), child.Err())
	}
}

func TestFakeParties(t *testing.T) {
	c := NewFake()
	c.Parties = 2
	start := c.Now()
	done := make(chan struct{})
	for _, d := range []time.Duration{time.Second, 3 * time.Second} {
		go func() {
			defer func() { done <- struct{}{} }()
			defer c.Leave()
			_ = c.Sleep(context.Background(), d)
		}()
	}
	<-done
	<-done
	if got := c.Now().Sub(start); got != 3*time.Second {
		t.Fatalf("overlapping 1 s and 3 s sleeps took %v", got)
	}
}

func TestFakeTimeoutFrom(t *testing.T) {
	c := NewFake()
	ctx, start, cancel := c.TimeoutFrom(context.Background(), time.Second)
	defer cancel()
	c.Advance(time.Hour)
	if ctx.Err() != nil {
		t.Fatal("the deadline ran before start")
	}
	start()
	start()
	c.Advance(time.Second)
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("ctx %v a second after start", ctx.Err())
	}
}
