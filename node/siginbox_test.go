package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

const inboxSubnet = "/testnet/c"

// scriptedTopic delivers a fixed list of messages, then io.EOF.
type scriptedTopic struct{ msgs []p2p.Message }

func (t *scriptedTopic) Publish(context.Context, []byte) error { return nil }
func (t *scriptedTopic) Close() error                          { return nil }
func (t *scriptedTopic) Next(context.Context) (p2p.Message, error) {
	if len(t.msgs) == 0 {
		return p2p.Message{}, io.EOF
	}
	m := t.msgs[0]
	t.msgs = t.msgs[1:]
	return m, nil
}

// countingCounter counts Inc calls.
type countingCounter struct {
	prometheus.Counter
	n int
}

func (c *countingCounter) Inc() { c.n++ }

// cpSig encodes a checkpoint signature; the inbox never checks the BLS
// part, so a tag in it tells payloads apart.
func cpSig(t testing.TB, height uint64, validator uint32, tag byte) []byte {
	t.Helper()
	data, err := types.EncodeCheckpointSignature(&types.CheckpointSignature{
		Subnet: inboxSubnet, Height: height, Hash: common.Hash{byte(height)}, Validator: validator,
		Signature: bytes.Repeat([]byte{tag}, 96),
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// drain takes everything the inbox holds, as the relay goroutine would.
func drain(q *sigInbox) []xnet.PeerSignature {
	var out []xnet.PeerSignature
	for {
		select {
		case <-q.wake:
		default:
			return out
		}
		for _, in := range q.take() {
			out = append(out, in.(xnet.PeerSignature))
		}
	}
}

// TestRelayKeepsHonestSignaturesUnderFlood is the regression test of issue
// 19 defect 7's last part: one peer floods the checkpoint topic, past what
// the old 256-slot channel held, with copies of one payload, signatures
// for every signer and height in range, and forgeries in the honest
// signers' own slots (from a second origin), while the relay goroutine is busy (it takes nothing
// until the reader is done). Every honest signature must still reach the
// relayer, each once, and the junk held must stay within its origin's share.
func TestRelayKeepsHonestSignaturesUnderFlood(t *testing.T) {
	const period, floor = 4, 40
	var msgs []p2p.Message
	junk := func(data []byte) { msgs = append(msgs, p2p.Message{From: "junk", Data: data}) }
	copyOf := cpSig(t, floor+period, 99, 0xee)
	for i := 0; i < 300; i++ {
		junk(copyOf)
	}
	for v := uint32(0); v < 20; v++ {
		for h := uint64(floor + period); h <= floor+2*xnet.DefaultWindow*period; h += period {
			junk(cpSig(t, h, 100+v, 0xdd))
		}
	}
	honest := map[string]bool{}
	for v := uint32(0); v < 7; v++ {
		for _, h := range []uint64{floor + period, floor + 2*period} {
			data := cpSig(t, h, v, byte(v+1))
			honest[string(data)] = true
			msgs = append(msgs, p2p.Message{From: fmt.Sprintf("validator-%d", v), Data: data})
			for i := 0; i < 20; i++ { // forgeries in v's slot after it, and copies
				msgs = append(msgs, p2p.Message{From: "forger", Data: cpSig(t, h, v, byte(0x80+i))})
				msgs = append(msgs, p2p.Message{From: fmt.Sprintf("validator-%d", v), Data: data})
			}
		}
	}
	if len(msgs) <= 256 {
		t.Fatalf("flood of %d messages does not exceed the old channel", len(msgs))
	}
	dropped := &countingCounter{Counter: prometheus.NewCounter(prometheus.CounterOpts{Name: "dropped"})}
	rl := &relay{topic: &scriptedTopic{msgs}, metrics: relayMetrics{dropped: dropped}, inbox: newSigInbox(period, floor)}
	rl.read(context.Background())

	fromJunk := 0
	seen := map[string]int{}
	for _, in := range drain(rl.inbox) {
		seen[string(in.Data)]++
		if in.From == "junk" {
			fromJunk++
		}
	}
	for data := range honest {
		if seen[data] != 1 {
			s, _ := types.DecodeCheckpointSignature([]byte(data))
			t.Errorf("validator %d's signature at %d reached the relayer %d times, want once", s.Validator, s.Height, seen[data])
		}
	}
	if max := 2 * xnet.DefaultWindow; fromJunk > max {
		t.Errorf("%d payloads of the flooding origin held, want at most %d (one per height in range)", fromJunk, max)
	}
	if dropped.n == 0 {
		t.Error("the flood beyond the origin's share was not counted as dropped")
	}
}

// TestSigInboxCoalescesCopies: copies of a payload reach the relayer once,
// whoever sends them; an origin's newer payload for a slot replaces its own.
func TestSigInboxCoalescesCopies(t *testing.T) {
	q := newSigInbox(4, 0)
	a := cpSig(t, 4, 1, 1)
	for i := 0; i < 100; i++ {
		q.put("p", a)
		q.put("q", a)
	}
	q.put("r", cpSig(t, 4, 1, 2))
	q.put("r", cpSig(t, 4, 1, 3))
	if q.len() != 2 {
		t.Fatalf("held %d, want 2 (one copy of a, r's newest)", q.len())
	}
	got := drain(q)
	if len(got) != 2 || !bytes.Equal(got[0].Data, a) || !bytes.Equal(got[1].Data, cpSig(t, 4, 1, 3)) || got[1].From != "r" {
		t.Fatalf("took %+v, want a once then r's newest", got)
	}
	if q.len() != 0 || len(q.byOrigin) != 0 {
		t.Fatalf("after draining: held %d, origins %v", q.len(), q.byOrigin)
	}
}

// TestSigInboxBounds: what the relayer refuses anyway is not held, a slot
// takes maxSlotOrigins origins and keeps the first ones, an origin holds
// at most one payload per height in range, and a new parent checkpoint
// frees everything at or below it.
func TestSigInboxBounds(t *testing.T) {
	const period, floor = 4, 40
	q := newSigInbox(period, floor)
	span := uint64(2 * xnet.DefaultWindow * period)
	for _, data := range [][]byte{
		cpSig(t, floor, 0, 1),                            // stale
		cpSig(t, floor+span+period, 0, 1),                // beyond what the relayer takes
		cpSig(t, floor+period, gateway.MaxValidators, 1), // no such seat
		{0x01, 0x02}, // not a signature
	} {
		if !q.put("p", data) {
			t.Fatal("a message the relayer refuses anyway counted as dropped for lack of room")
		}
	}
	if q.len() != 0 {
		t.Fatalf("held %d messages the relayer would refuse", q.len())
	}

	for i := 0; i < maxSlotOrigins; i++ {
		if !q.put(fmt.Sprint("o", i), cpSig(t, floor+period, 0, byte(i))) {
			t.Fatalf("origin %d refused from a slot with room", i)
		}
	}
	if q.put("late", cpSig(t, floor+period, 0, 0xff)) {
		t.Fatal("a full slot took another origin")
	}
	for h := uint64(floor + period); h <= floor+span; h += period {
		if !q.put("greedy", cpSig(t, h, 1, 1)) {
			t.Fatalf("origin refused at height %d within its share", h)
		}
	}
	if q.put("greedy", cpSig(t, floor+period, 2, 1)) {
		t.Fatal("an origin held more payloads than heights in range")
	}
	if want := maxSlotOrigins + int(span/period); q.len() != want {
		t.Fatalf("held %d, want %d", q.len(), want)
	}

	q.advance(floor + 2*period)
	got := drain(q)
	for _, in := range got {
		s, _ := types.DecodeCheckpointSignature(in.Data)
		if s.Height <= floor+2*period {
			t.Fatalf("took a signature at %d, at or below the parent's new last checkpoint", s.Height)
		}
	}
	if want := int(span/period) - 2; len(got) != want || q.len() != 0 || len(q.byOrigin) != 0 {
		t.Fatalf("took %d (want %d), then held %d, origins %v", len(got), want, q.len(), q.byOrigin)
	}
	if !q.put("greedy", cpSig(t, floor+3*period, 2, 1)) {
		t.Fatal("an origin's share was not freed by taking its payloads")
	}
}

// TestSigInboxTakesInBatches: a wake-up steps at most inboxBatch slots, the
// oldest first, and leaves a token for the rest.
func TestSigInboxTakesInBatches(t *testing.T) {
	q := newSigInbox(4, 0)
	for v := uint32(0); v < inboxBatch+1; v++ {
		q.put(fmt.Sprint("o", v), cpSig(t, 4, v, 1))
	}
	<-q.wake
	first := q.take()
	if len(first) != inboxBatch {
		t.Fatalf("first take returned %d, want %d", len(first), inboxBatch)
	}
	if s, _ := types.DecodeCheckpointSignature(first[0].(xnet.PeerSignature).Data); s.Validator != 0 {
		t.Fatalf("first take starts with validator %d, want the oldest, 0", s.Validator)
	}
	select {
	case <-q.wake:
	default:
		t.Fatal("no wake token left for the slot still held")
	}
	if rest := q.take(); len(rest) != 1 {
		t.Fatalf("second take returned %d, want 1", len(rest))
	}
	select {
	case <-q.wake:
		t.Fatal("a wake token left on an empty inbox")
	default:
	}
}

// TestSigInboxOnePayloadPerOriginAndHeight: an honest author signs once per
// height (a BLS key holds one seat per subnet), so one origin holds at most
// one payload per height. Counting only messages let one origin spend its
// whole share at one height, forging many signers' slots there.
func TestSigInboxOnePayloadPerOriginAndHeight(t *testing.T) {
	const period = 10
	q := newSigInbox(period, 0)
	held := 0
	for v := uint32(0); v < 32; v++ {
		if q.put("forger", cpSig(t, period, v, byte(v))) {
			held++
		}
	}
	if held != 1 || q.len() != 1 {
		t.Fatalf("one origin holds %d payloads at one height (accepted %d), want 1", q.len(), held)
	}
	// Its own slot it may still replace, and the next height is a new share.
	again, next := cpSig(t, period, 0, 99), cpSig(t, 2*period, 5, 1)
	if !q.put("forger", again) || !q.put("forger", next) || q.len() != 2 {
		t.Fatalf("replacing its own slot or signing the next height refused (held %d)", q.len())
	}
	drain(q)
	if len(q.atHeight) != 0 {
		t.Fatalf("after draining, per-height shares left: %v", q.atHeight)
	}
}
