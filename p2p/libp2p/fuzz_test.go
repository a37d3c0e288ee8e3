package libp2p

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
)

// Fuzz target for the frames a peer puts on our request streams. Gossip
// payloads are fuzzed where they are decoded: consensus/bft (consensus
// topic), node (tx topic), xnet and types (checkpoint topic). `make fuzz`
// runs it (tools/fuzz).

// FuzzReadFrame reads a length-prefixed frame as the request server and the
// requester do. It must refuse lengths over the limit before allocating,
// fail only with ErrFrame or ErrTooLarge, and return exactly the payload
// the prefix announced; what writeFrame writes reads back unchanged.
func FuzzReadFrame(f *testing.F) {
	for _, payload := range [][]byte{{}, []byte("hello"), bytes.Repeat([]byte{7}, 300)} {
		var buf bytes.Buffer
		if err := writeFrame(&buf, payload); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{0x80, 0x00})
	const limit = 1024
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := bytes.NewReader(data)
		br := bufio.NewReader(rd)
		payload, err := readFrame(br, limit)
		if err != nil {
			if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v wraps neither ErrFrame nor ErrTooLarge", err)
			}
			return
		}
		if len(payload) > limit {
			t.Fatalf("payload of %d bytes over the %d limit", len(payload), limit)
		}
		// The payload is the bytes right before where reading stopped.
		consumed := len(data) - br.Buffered() - rd.Len()
		if consumed < len(payload) || !bytes.Equal(data[consumed-len(payload):consumed], payload) {
			t.Fatalf("payload %x is not the %d bytes before offset %d of %x", payload, len(payload), consumed, data)
		}
		var buf bytes.Buffer
		if err := writeFrame(&buf, payload); err != nil {
			t.Fatal(err)
		}
		again, err := readFrame(bufio.NewReader(&buf), limit)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("round trip of %x gave %x (%v)", payload, again, err)
		}
	})
}
