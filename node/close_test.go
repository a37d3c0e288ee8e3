package node

import (
	"context"
	"testing"
	"time"
)

// TestCloseWaitsForHelpers: a runtime's helpers (gossip readers, syncer,
// relay) read its store; close must not close the store under one still
// finishing after its context ended, or a child that fails or is killed
// could crash the node on a closed store.
func TestCloseWaitsForHelpers(t *testing.T) {
	rt, _ := openTestChain(t)
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	read := make(chan error, 1)
	rt.spawn(func() {
		<-ctx.Done()
		<-release // its last read, after the runtime was told to stop
		_, err := rt.store.BlockByNumber(0)
		read <- err
	})
	cancel()
	closed := make(chan error, 1)
	go func() { closed <- rt.close() }()
	// A correct close cannot return before release; one that does not wait
	// returns at once. The timer only bounds how long a broken close may
	// take to show itself: it can never fail a correct one.
	select {
	case err := <-closed:
		t.Fatalf("close returned (err %v) while a helper was still to read the store", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-read; err != nil {
		t.Fatalf("the helper's last read failed: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
