package node

import "sync"

// feed fans events out to subscribers without ever blocking the sender: the
// chain must not stall because a WebSocket client reads slowly, so a
// subscriber whose channel is full misses that event.
type feed[T any] struct {
	mu struct {
		sync.Mutex
		subs map[int]chan<- T
		next int
	}
}

// Subscribe delivers future events to ch until the returned func is called.
func (f *feed[T]) Subscribe(ch chan<- T) (cancel func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mu.subs == nil {
		f.mu.subs = make(map[int]chan<- T)
	}
	id := f.mu.next
	f.mu.next++
	f.mu.subs[id] = ch
	return func() {
		f.mu.Lock()
		delete(f.mu.subs, id)
		f.mu.Unlock()
	}
}

// Send offers v to every subscriber and returns how many missed it.
func (f *feed[T]) Send(v T) (dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.mu.subs {
		select {
		case ch <- v:
		default:
			dropped++
		}
	}
	return dropped
}
