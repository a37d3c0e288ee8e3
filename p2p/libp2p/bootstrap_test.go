package libp2p

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestBackoffDoublesToMaxWithJitterAndResets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		jitter func(n int64) int64
		want   []time.Duration
	}{
		{"longest", func(n int64) int64 { return n - 1 }, []time.Duration{100, 200, 400, 800, 1000, 1000}},
		{"shortest", func(int64) int64 { return 0 }, []time.Duration{50, 100, 200, 400, 500, 500}},
	} {
		b := newBackoff(100, 1000)
		b.jitter = tc.jitter
		for i, want := range tc.want {
			if got := b.next(); got != want {
				t.Fatalf("%s: attempt %d waits %v, want %v", tc.name, i, got, want)
			}
		}
		b.reset()
		if got := b.next(); got != tc.want[0] {
			t.Fatalf("%s: after reset waits %v, want %v", tc.name, got, tc.want[0])
		}
	}
}

func TestBootstrapPeerIsRedialedAfterRestart(t *testing.T) {
	key := newKey(t)
	first := newHost(t, Config{Key: key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	addr := first.Addrs()[0]
	listen := strings.TrimSuffix(addr, "/p2p/"+first.ID())

	a := newHost(t, Config{Bootstrap: []string{addr}, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	waitFor(t, "a to dial its bootstrap peer", func() bool { return hasPeer(a, first.ID()) })

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to see the bootstrap peer go", func() bool { return !hasPeer(a, first.ID()) })

	// The same node comes back on the same address; a finds it by itself.
	again := newHost(t, Config{Key: key, ListenAddrs: []string{listen}})
	waitFor(t, "a to redial the restarted bootstrap peer", func() bool { return hasPeer(a, again.ID()) })

	// And the connection is usable, not just counted.
	again.Handle(echoProto, func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	if resp, err := a.Request(context.Background(), again.ID(), echoProto, []byte("back")); err != nil || string(resp) != "back" {
		t.Fatalf("request after reconnect: %q, %v", resp, err)
	}
	// Bootstrap peers are protected from the connection manager's trimming.
	if !a.cm.IsProtected(again.host.ID(), "bootstrap") {
		t.Fatal("bootstrap peer is not protected from trimming")
	}
}

// A host started before its bootstrap peer keeps trying until it appears.
func TestBootstrapPeerDownAtStart(t *testing.T) {
	key := newKey(t)
	probe := newHost(t, Config{Key: key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	addr := probe.Addrs()[0]
	listen := strings.TrimSuffix(addr, "/p2p/"+probe.ID())
	probe.Close()

	a := newHost(t, Config{Bootstrap: []string{addr}, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	later := newHost(t, Config{Key: key, ListenAddrs: []string{listen}})
	waitFor(t, "a to reach a bootstrap peer that started after it", func() bool { return hasPeer(a, later.ID()) })
}
