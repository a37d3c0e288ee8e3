package libp2p

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	libp2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/aspen-chain/aspen/p2p"
)

var loopback = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}

func newKey(t testing.TB) libp2pcrypto.PrivKey {
	t.Helper()
	k, _, err := libp2pcrypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newHost starts a host on loopback (TCP and QUIC unless cfg says otherwise)
// and closes it when the test ends.
func newHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = newKey(t)
	}
	if cfg.ListenAddrs == nil {
		cfg.ListenAddrs = loopback
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// connect dials b from a and waits until both see the connection.
func connect(t testing.TB, a, b *Host) {
	t.Helper()
	if err := a.Connect(context.Background(), b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connection "+a.ID()+" <-> "+b.ID(), func() bool { return hasPeer(a, b.ID()) && hasPeer(b, a.ID()) })
}

func hasPeer(h *Host, id string) bool {
	for _, p := range h.Peers() {
		if p.ID == id {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// waitTopicPeers waits until every host sees every other host on topic.
func waitTopicPeers(t testing.TB, topic string, hosts ...*Host) {
	t.Helper()
	for _, h := range hosts {
		waitFor(t, fmt.Sprintf("%s to see %d peers on %s", h.ID(), len(hosts)-1, topic), func() bool {
			return len(h.TopicPeers(topic)) == len(hosts)-1
		})
	}
}

// metricValue reads one series from reg; labels are name=value pairs.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if !hasLabel(m, labels[i], labels[i+1]) {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

func TestNewConfigErrors(t *testing.T) {
	if _, err := New(context.Background(), Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no key: got %v, want ErrConfig", err)
	}
	_, err := New(context.Background(), Config{Key: newKey(t), Bootstrap: []string{"/ip4/127.0.0.1/tcp/1"}})
	if !errors.Is(err, ErrConfig) || !errors.Is(err, ErrAddr) || !strings.Contains(err.Error(), "/p2p/") {
		t.Fatalf("bootstrap without /p2p/: got %v, want ErrConfig and ErrAddr naming /p2p/", err)
	}
	if _, err := New(context.Background(), Config{Key: newKey(t), ListenAddrs: []string{"not an addr"}}); err == nil {
		t.Fatal("bad listen address accepted")
	}
}

func TestAddrsConnectAndClose(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	if len(a.Addrs()) != 2 {
		t.Fatalf("addrs %v, want one TCP and one QUIC", a.Addrs())
	}
	for _, addr := range a.Addrs() {
		if !strings.HasSuffix(addr, "/p2p/"+a.ID()) {
			t.Fatalf("addr %s does not end in /p2p/%s", addr, a.ID())
		}
	}
	if err := a.Connect(context.Background(), a.Addrs()[0]); !errors.Is(err, ErrAddr) {
		t.Fatalf("connect to self: got %v, want ErrAddr", err)
	}
	if err := a.Connect(context.Background(), "/ip4/127.0.0.1/tcp/1"); !errors.Is(err, ErrAddr) {
		t.Fatalf("connect without peer ID: got %v, want ErrAddr", err)
	}
	connect(t, a, b)
	if err := a.Connect(context.Background(), b.Addrs()[0]); err != nil {
		t.Fatalf("second connect is not a no-op: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to notice b closed", func() bool { return !hasPeer(a, b.ID()) })
	if _, err := b.Join("/aspen/x/tx", acceptAll); !errors.Is(err, p2p.ErrClosed) {
		t.Fatalf("join after close: got %v, want ErrClosed", err)
	}
	if _, err := b.Request(context.Background(), a.ID(), "/aspen/x/p", nil); !errors.Is(err, p2p.ErrClosed) {
		t.Fatalf("request after close: got %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestMetricsRegisterer(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newHost(t, Config{Registerer: reg})
	b := newHost(t, Config{})
	connect(t, a, b)
	if got := metricValue(t, reg, "aspen_p2p_peers"); got != 1 {
		t.Fatalf("aspen_p2p_peers = %v, want 1", got)
	}
	// A second host on the same registerer is refused rather than silently
	// sharing series.
	if _, err := New(context.Background(), Config{Key: newKey(t), Registerer: reg}); !errors.Is(err, ErrConfig) {
		t.Fatalf("second host on one registerer: got %v, want ErrConfig", err)
	}
}

// TestAnnounceAddrs: a host with announce addresses advertises them, and
// only them, instead of its listen addresses: in Addrs and, through
// identify, to the peers that connect to it. Bad ones are refused.
func TestAnnounceAddrs(t *testing.T) {
	const announced = "/ip4/192.0.2.1/tcp/4001" // TEST-NET-1: where a proxy would be
	b := newHost(t, Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, AnnounceAddrs: []string{announced}})
	if got := b.Addrs(); len(got) != 1 || got[0] != announced+"/p2p/"+b.ID() {
		t.Fatalf("addrs %v, want only %s/p2p/%s", got, announced, b.ID())
	}
	var listen string
	for _, l := range b.host.Network().ListenAddresses() {
		if strings.HasPrefix(l.String(), "/ip4/127.0.0.1/tcp/") {
			listen = l.String()
		}
	}
	a := newHost(t, Config{})
	if err := a.Connect(context.Background(), listen+"/p2p/"+b.ID()); err != nil {
		t.Fatal(err)
	}
	learned := func() bool {
		for _, p := range a.Peers() {
			for _, addr := range p.Addrs {
				if p.ID == b.ID() && addr == announced {
					return true
				}
			}
		}
		return false
	}
	waitFor(t, "a to learn b's announced address through identify", learned)

	for _, bad := range []string{"nope", "/ip4/127.0.0.1/tcp/1/p2p/" + b.ID()} {
		if _, err := New(context.Background(), Config{Key: newKey(t), AnnounceAddrs: []string{bad}}); !errors.Is(err, ErrConfig) {
			t.Errorf("announce %q: got %v, want ErrConfig", bad, err)
		}
	}
}
