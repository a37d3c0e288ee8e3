package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// ErrNoLink: a fault names a pair of nodes with no link between them.
var ErrNoLink = errors.New("faults: no such link")

// Network is a set of directed links, each a Toxiproxy proxy: node from
// reaches node to only at the address Link returned for (from, to). Nodes
// that must never meet directly advertise no address of their own (the
// node's p2p.announce) and dial each other only at those addresses.
type Network struct {
	server *toxiproxy.ApiServer
	mu     struct {
		sync.Mutex
		links map[link]*toxiproxy.Proxy
		cut   map[link]bool
	}
}

type link struct{ from, to string }

func (l link) name() string { return l.from + "->" + l.to }

// NewNetwork starts an empty network (no listener of its own: proxies are
// driven as a library).
func NewNetwork() *Network {
	m := toxiproxy.NewMetricsContainer(prometheus.NewRegistry())
	n := &Network{server: toxiproxy.NewServer(m, zerolog.New(io.Discard))}
	n.mu.links = map[link]*toxiproxy.Proxy{}
	n.mu.cut = map[link]bool{}
	return n
}

// Link makes the link from -> to: a proxy listening on a free loopback
// port that forwards to upstream (to's real listen address, host:port).
// It returns the proxy's address, host:port.
func (n *Network) Link(from, to, upstream string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := link{from, to}
	if p := n.mu.links[l]; p != nil {
		return p.Listen, nil
	}
	p := toxiproxy.NewProxy(n.server, l.name(), "127.0.0.1:0", upstream)
	if err := n.server.Collection.Add(p, true); err != nil {
		return "", fmt.Errorf("faults: link %s: %w", l.name(), err)
	}
	n.mu.links[l] = p
	return p.Listen, nil
}

// Partition cuts every link between a node of a and a node of b, both
// ways: established connections are closed and new ones refused, until
// Heal. Links within a and within b are untouched.
func (n *Network) Partition(a, b []string) error {
	return n.eachBetween(a, b, func(l link, p *toxiproxy.Proxy) error {
		if n.mu.cut[l] {
			return nil
		}
		p.Stop()
		n.mu.cut[l] = true
		return nil
	})
}

// Degrade adds, on every link between a and b (both ways), latency plus
// up to jitter more on every byte, and stalls a share loss (0 to 1) of
// the connections opened from now on until they are reset (see the
// package doc); bandwidth, if > 0, caps each direction in KB/s.
func (n *Network) Degrade(a, b []string, latency, jitter time.Duration, loss float64, bandwidthKB int64) error {
	if loss < 0 || loss > 1 {
		return fmt.Errorf("faults: loss %v: want 0 to 1", loss)
	}
	return n.eachBetween(a, b, func(l link, p *toxiproxy.Proxy) error {
		var toxics []string
		if latency > 0 || jitter > 0 {
			toxics = append(toxics, fmt.Sprintf(`{"name":"latency","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":%d,"jitter":%d}}`,
				latency.Milliseconds(), jitter.Milliseconds()))
		}
		if loss > 0 {
			toxics = append(toxics, fmt.Sprintf(`{"name":"loss","type":"timeout","stream":"upstream","toxicity":%g,"attributes":{"timeout":2000}}`, loss))
		}
		if bandwidthKB > 0 {
			for _, dir := range []string{"upstream", "downstream"} {
				toxics = append(toxics, fmt.Sprintf(`{"name":"bandwidth_%s","type":"bandwidth","stream":"%s","toxicity":1,"attributes":{"rate":%d}}`, dir, dir, bandwidthKB))
			}
		}
		for _, t := range toxics {
			if _, err := p.Toxics.AddToxicJson(strings.NewReader(t)); err != nil {
				return fmt.Errorf("faults: degrade %s: %w", l.name(), err)
			}
		}
		return nil
	})
}

// Heal restores every link: cut links listen again and every toxic is
// removed.
func (n *Network) Heal() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for l, p := range n.mu.links {
		p.Toxics.ResetToxics(context.Background())
		if n.mu.cut[l] {
			if err := p.Start(); err != nil {
				errs = append(errs, fmt.Errorf("faults: heal %s: %w", l.name(), err))
				continue
			}
			delete(n.mu.cut, l)
		}
	}
	return errors.Join(errs...)
}

// Close stops every proxy.
func (n *Network) Close() error {
	return n.server.Collection.Clear()
}

func (n *Network) eachBetween(a, b []string, f func(link, *toxiproxy.Proxy) error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var links []link
	for _, x := range a {
		for _, y := range b {
			for _, l := range []link{{x, y}, {y, x}} {
				if n.mu.links[l] == nil {
					return fmt.Errorf("%w: %s", ErrNoLink, l.name()) // before any change
				}
				links = append(links, l)
			}
		}
	}
	for _, l := range links {
		if err := f(l, n.mu.links[l]); err != nil {
			return err
		}
	}
	return nil
}

// FreeAddr returns a loopback address nothing listens on, host:port: what
// a node behind proxies announces, so that no peer can reach it directly.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
