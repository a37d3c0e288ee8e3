package libp2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

func acceptAll(context.Context, string, []byte) p2p.Verdict { return p2p.Accept }

// rejectBad rejects messages starting with "bad".
func rejectBad(_ context.Context, _ string, data []byte) p2p.Verdict {
	if bytes.HasPrefix(data, []byte("bad")) {
		return p2p.Reject
	}
	return p2p.Accept
}

func join(t testing.TB, h *Host, name string, v p2p.Validator) p2p.Topic {
	t.Helper()
	tp, err := h.Join(name, v)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func next(t testing.TB, tp p2p.Topic) p2p.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := tp.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for a message: %v", err)
	}
	return m
}

// expectNothing asserts that no message arrives within d. It is the one
// place these tests wait for a while: absence can only be shown by waiting.
func expectNothing(t testing.TB, tp p2p.Topic, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := tp.Next(ctx); err == nil {
		t.Fatalf("unexpected message %q from %s", m.Data, m.From)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next: %v", err)
	}
}

// fullMesh connects every pair of hosts, dialing in one direction only.
func fullMesh(t testing.TB, hosts ...*Host) {
	for i := range hosts {
		for j := i + 1; j < len(hosts); j++ {
			connect(t, hosts[i], hosts[j])
		}
	}
}

func TestGossipReachesOthersOnceAndNotTheSender(t *testing.T) {
	hosts := []*Host{newHost(t, Config{}), newHost(t, Config{}), newHost(t, Config{})}
	fullMesh(t, hosts...)
	names := []string{"/aspen/devnet/one", "/aspen/devnet/two"}
	topics := make([][]p2p.Topic, len(hosts)) // [host][topic]
	for i, h := range hosts {
		for _, n := range names {
			topics[i] = append(topics[i], join(t, h, n, acceptAll))
		}
	}
	for _, n := range names {
		waitTopicPeers(t, n, hosts...)
	}
	for i := range hosts {
		for k, n := range names {
			if err := topics[i][k].Publish(context.Background(), []byte(fmt.Sprintf("%s from %d", n, i))); err != nil {
				t.Fatalf("host %d publish on %s: %v", i, n, err)
			}
		}
	}
	for i := range hosts {
		for k, n := range names {
			got := map[string]string{}
			for range len(hosts) - 1 {
				m := next(t, topics[i][k])
				if _, dup := got[string(m.Data)]; dup {
					t.Fatalf("host %d got %q twice on %s", i, m.Data, n)
				}
				got[string(m.Data)] = m.From
			}
			for j, sender := range hosts {
				want := fmt.Sprintf("%s from %d", n, j)
				from, ok := got[want]
				switch {
				case j == i && ok:
					t.Fatalf("host %d received its own message %q", i, want)
				case j != i && !ok:
					t.Fatalf("host %d on %s: got %v, missing %q", i, n, got, want)
				case j != i && from != sender.ID():
					t.Fatalf("host %d: %q from %s, want %s", i, want, from, sender.ID())
				}
			}
		}
	}
	// Nothing more: no duplicates, no echo of our own, nothing crossing topics.
	for i := range hosts {
		for k := range names {
			expectNothing(t, topics[i][k], 300*time.Millisecond)
		}
	}
}

func TestRejectedSenderIsPenalisedAndGraylisted(t *testing.T) {
	regB := prometheus.NewRegistry()
	fast := Config{scoreInspectPeriod: 50 * time.Millisecond}
	bad := newHost(t, fast)
	withReg := fast
	withReg.Registerer = regB
	b, c := newHost(t, withReg), newHost(t, fast)
	fullMesh(t, bad, b, c)
	name := p2p.TxTopic("/devnet")
	tBad, tB, tC := join(t, bad, name, acceptAll), join(t, b, name, rejectBad), join(t, c, name, rejectBad)
	waitTopicPeers(t, name, bad, b, c)

	// A good message from the future offender arrives: the path works.
	if err := tBad.Publish(context.Background(), []byte("good before")); err != nil {
		t.Fatal(err)
	}
	for _, tp := range []p2p.Topic{tB, tC} {
		if m := next(t, tp); string(m.Data) != "good before" {
			t.Fatalf("got %q, want the good message", m.Data)
		}
	}
	// Three rejections put the offender below the graylist threshold.
	for i := range 3 {
		if err := tBad.Publish(context.Background(), []byte(fmt.Sprintf("bad %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "b to reject 3 messages", func() bool {
		return metricValue(t, regB, "aspen_p2p_gossip_messages_total", "topic", name, "verdict", "rejected") == 3
	})
	for _, h := range []*Host{b, c} {
		waitFor(t, "the offender's score to fall below the graylist threshold", func() bool {
			s, ok := h.PeerScores()[bad.ID()]
			return ok && s < graylistThreshold
		})
		if s := h.PeerScores()[map[*Host]*Host{b: c, c: b}[h].ID()]; s < 0 {
			t.Fatalf("the honest peer's score is %v, want >= 0", s)
		}
	}
	waitFor(t, "the penalised-peers metric", func() bool { return metricValue(t, regB, "aspen_p2p_penalised_peers") == 1 })
	if got := metricValue(t, regB, "aspen_p2p_gossip_messages_total", "topic", name, "verdict", "delivered"); got != 1 {
		t.Fatalf("delivered = %v, want 1 (only the good message)", got)
	}

	// None of the rejected messages was delivered: the next message b sees
	// is c's.
	if err := tC.Publish(context.Background(), []byte("from c")); err != nil {
		t.Fatal(err)
	}
	if m := next(t, tB); string(m.Data) != "from c" {
		t.Fatalf("b got %q, want c's message (a rejected message was delivered?)", m.Data)
	}
	// Graylisted: even a valid message from the offender is dropped unread.
	if err := tBad.Publish(context.Background(), []byte("good after")); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, tB, 500*time.Millisecond)
	expectNothing(t, tC, 10*time.Millisecond)
	if got := metricValue(t, regB, "aspen_p2p_gossip_messages_total", "topic", name, "verdict", "rejected"); got != 3 {
		t.Fatalf("rejected = %v after graylisting, want 3 (the validator should not even run)", got)
	}
}

func TestOversizedGossipIsDropped(t *testing.T) {
	// big can put messages over the cap on the wire, as a hostile peer would.
	big := newHost(t, Config{maxGossipSize: 4 << 20})
	recv := newHost(t, Config{})
	connect(t, big, recv)
	name := p2p.ConsensusTopic("/devnet")
	tBig, tRecv := join(t, big, name, acceptAll), join(t, recv, name, acceptAll)
	waitTopicPeers(t, name, big, recv)

	if err := tRecv.Publish(context.Background(), make([]byte, p2p.MaxMessageSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("publishing over the cap: got %v, want ErrTooLarge", err)
	}
	// Exactly the cap travels (the envelope does not count).
	full := bytes.Repeat([]byte{1}, p2p.MaxMessageSize)
	if err := tBig.Publish(context.Background(), full); err != nil {
		t.Fatal(err)
	}
	if m := next(t, tRecv); !bytes.Equal(m.Data, full) {
		t.Fatalf("got %d bytes, want the %d-byte message", len(m.Data), len(full))
	}
	// Over the cap: the receiver drops it. Publish skips the local check
	// only through the underlying topic, as a hostile peer would.
	over := bytes.Repeat([]byte{2}, p2p.MaxMessageSize+512<<10)
	if err := tBig.(*topic).t.Publish(context.Background(), over); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, tRecv, 500*time.Millisecond)
}

func TestOneConnectionPerPeerWithManyTopics(t *testing.T) {
	hosts := []*Host{newHost(t, Config{}), newHost(t, Config{}), newHost(t, Config{})}
	fullMesh(t, hosts...)
	subnet := types.SubnetID("/devnet")
	names := []string{p2p.ConsensusTopic(subnet), p2p.TxTopic(subnet), p2p.CheckpointTopic(subnet)}
	topics := map[*Host][]p2p.Topic{}
	for _, h := range hosts {
		for _, n := range names {
			topics[h] = append(topics[h], join(t, h, n, acceptAll))
		}
	}
	for _, n := range names {
		waitTopicPeers(t, n, hosts...)
	}
	// Traffic on every topic, so each has opened whatever it opens.
	for k, n := range names {
		if err := topics[hosts[0]][k].Publish(context.Background(), []byte(n)); err != nil {
			t.Fatal(err)
		}
		for _, h := range hosts[1:] {
			next(t, topics[h][k])
		}
	}
	for _, h := range hosts {
		peers := h.Peers()
		if len(peers) != len(hosts)-1 {
			t.Fatalf("%s has %d peers, want %d", h.ID(), len(peers), len(hosts)-1)
		}
		for _, p := range peers {
			if p.Connections != 1 {
				t.Fatalf("%s holds %d connections to %s, want 1", h.ID(), p.Connections, p.ID)
			}
			if len(p.Addrs) == 0 {
				t.Fatalf("%s knows no address of %s", h.ID(), p.ID)
			}
		}
	}
}

func TestTopicJoinTwiceAndClose(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	connect(t, a, b)
	name := p2p.TxTopic("/devnet")
	ta := join(t, a, name, acceptAll)
	if _, err := a.Join(name, acceptAll); !errors.Is(err, ErrJoined) {
		t.Fatalf("second join: got %v, want ErrJoined", err)
	}
	if _, err := a.Join("/other/topic", acceptAll); err == nil {
		t.Fatal("joined a topic outside /aspen/")
	}
	tb := join(t, b, name, acceptAll)
	waitTopicPeers(t, name, a, b)
	if err := ta.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Next(context.Background()); !errors.Is(err, p2p.ErrClosed) {
		t.Fatalf("Next after Close: got %v, want ErrClosed", err)
	}
	if err := ta.Publish(context.Background(), []byte("x")); !errors.Is(err, p2p.ErrClosed) {
		t.Fatalf("Publish after Close: got %v, want ErrClosed", err)
	}
	waitFor(t, "b to see a leave", func() bool { return len(b.TopicPeers(name)) == 0 })
	// Rejoining works and messages flow again.
	ta = join(t, a, name, acceptAll)
	waitTopicPeers(t, name, a, b)
	if err := tb.Publish(context.Background(), []byte("again")); err != nil {
		t.Fatal(err)
	}
	if m := next(t, ta); string(m.Data) != "again" {
		t.Fatalf("got %q after rejoin", m.Data)
	}
}

// BenchmarkGossipLatency is the time from Publish on one host to Next on
// another over loopback, one message at a time.
func BenchmarkGossipLatency(b *testing.B) {
	x, y := newHost(b, Config{}), newHost(b, Config{})
	connect(b, x, y)
	name := p2p.ConsensusTopic("/devnet")
	tx, ty := join(b, x, name, acceptAll), join(b, y, name, acceptAll)
	waitTopicPeers(b, name, x, y)
	i := 0
	for b.Loop() {
		i++
		if err := tx.Publish(context.Background(), []byte(fmt.Sprintf("vote %d", i))); err != nil {
			b.Fatal(err)
		}
		next(b, ty)
	}
}

// TestRepublishedBytesAreDeliveredAgain: a validator re-broadcasts the very
// same signed vote when a round stalls (seconds apart, its consensus
// timeouts), for peers that missed it. Gossip must deliver it again rather
// than treat it as already seen.
func TestRepublishedBytesAreDeliveredAgain(t *testing.T) {
	clock := newFakeClock()
	a, b := newHost(t, Config{}), newHost(t, Config{now: clock.now})
	fullMesh(t, a, b)
	name := p2p.ConsensusTopic("/devnet")
	ta, tb := join(t, a, name, acceptAll), join(t, b, name, acceptAll)
	waitTopicPeers(t, name, a, b)
	for i := 0; i < 2; i++ {
		if err := ta.Publish(context.Background(), []byte("prevote h=5 r=0")); err != nil {
			t.Fatal(err)
		}
		if m := next(t, tb); string(m.Data) != "prevote h=5 r=0" {
			t.Fatalf("publication %d: got %q", i, m.Data)
		}
		clock.advance(repeatWindow)
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingValidator counts its calls and judges like rejectBad.
type countingValidator struct{ calls atomic.Int64 }

func (v *countingValidator) validate(ctx context.Context, from string, data []byte) p2p.Verdict {
	v.calls.Add(1)
	return rejectBad(ctx, from, data)
}

// TestReplayedPayloadIsJudgedOnce is issue 19, defect 7: a peer that
// republishes someone else's payload under its own sequence numbers (a new
// gossipsub message each time) must not make every node run the validator
// again (a BLS check for a vote). Within the repeat window the copy is
// dropped unread and not delivered; a copy of a rejected payload is rejected
// unread and its sender penalised all the same. Before, b judged and
// delivered every copy.
func TestReplayedPayloadIsJudgedOnce(t *testing.T) {
	clock := newFakeClock()
	regB := prometheus.NewRegistry()
	honest, replayer := newHost(t, Config{}), newHost(t, Config{})
	b := newHost(t, Config{now: clock.now, Registerer: regB})
	fullMesh(t, honest, replayer, b)
	name := p2p.ConsensusTopic("/devnet")
	v := &countingValidator{}
	tHonest, tReplayer := join(t, honest, name, acceptAll), join(t, replayer, name, acceptAll)
	tb := join(t, b, name, v.validate)
	waitTopicPeers(t, name, honest, replayer, b)

	vote := []byte("prevote h=5 r=0 signed by validator 3")
	if err := tHonest.Publish(context.Background(), vote); err != nil {
		t.Fatal(err)
	}
	if m := next(t, tb); !bytes.Equal(m.Data, vote) {
		t.Fatalf("got %q, want the vote", m.Data)
	}
	for i := 0; i < 5; i++ {
		if err := tReplayer.Publish(context.Background(), vote); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "b to judge the five copies", func() bool {
		return metricValue(t, regB, "aspen_p2p_gossip_messages_total", "topic", name, "verdict", "ignored") == 5
	})
	if n := v.calls.Load(); n != 1 {
		t.Fatalf("validator ran %d times for one payload, want 1", n)
	}
	// A junk payload: rejected once by the validator, then unread, and
	// every copy costs its sender.
	if err := tReplayer.Publish(context.Background(), []byte("bad vote")); err != nil {
		t.Fatal(err)
	}
	if err := tHonest.Publish(context.Background(), []byte("bad vote")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to reject both copies", func() bool {
		return metricValue(t, regB, "aspen_p2p_gossip_messages_total", "topic", name, "verdict", "rejected") == 2
	})
	if n := v.calls.Load(); n != 2 {
		t.Fatalf("validator ran %d times, want 2 (the vote and the first junk copy)", n)
	}
	// Past the window the validator judges the payload again (its verdict
	// may have changed as the chain moved) and a genuine re-broadcast is
	// delivered.
	clock.advance(repeatWindow)
	if err := tHonest.Publish(context.Background(), vote); err != nil {
		t.Fatal(err)
	}
	if m := next(t, tb); !bytes.Equal(m.Data, vote) {
		t.Fatalf("got %q, want the re-broadcast vote", m.Data)
	}
	if n := v.calls.Load(); n != 3 {
		t.Fatalf("validator ran %d times, want 3", n)
	}
}
