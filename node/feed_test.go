package node

import "testing"

func TestFeedNeverBlocksAndCancels(t *testing.T) {
	var f feed[int]
	fast := make(chan int, 10)
	slow := make(chan int) // nobody reads: must not block Send
	cancelFast := f.Subscribe(fast)
	f.Subscribe(slow)
	if dropped := f.Send(1); dropped != 1 {
		t.Fatalf("dropped %d, want 1 (the unread subscriber)", dropped)
	}
	if v := <-fast; v != 1 {
		t.Fatalf("got %d, want 1", v)
	}
	cancelFast()
	f.Send(2)
	select {
	case v := <-fast:
		t.Fatalf("cancelled subscriber received %d", v)
	default:
	}
}
