package libp2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	golibp2p "github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	libp2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/p2p"
)

var (
	// ErrConfig reports a Config that New cannot use.
	ErrConfig = errors.New("libp2p: bad config")
	// ErrAddr reports a multiaddr that is malformed or lacks its /p2p/<ID>.
	ErrAddr = errors.New("libp2p: bad peer address")
	// ErrPeerID reports a string that is not a libp2p peer ID.
	ErrPeerID = errors.New("libp2p: bad peer ID")
)

// Config configures New. Key is required; every other field has a default.
type Config struct {
	// Key is the node's identity (LoadOrGenerateIdentityKey).
	Key libp2pcrypto.PrivKey
	// ListenAddrs, e.g. /ip4/0.0.0.0/tcp/9000 and /ip4/0.0.0.0/udp/9000/quic-v1.
	// Empty means listen on nothing (the host can still dial out).
	ListenAddrs []string
	// AnnounceAddrs, when set, are the addresses the host advertises to
	// peers (identify, Addrs) instead of its listen addresses: where others
	// reach it through a NAT, a proxy or a port forward. Without /p2p/.
	AnnounceAddrs []string
	// Bootstrap are multiaddrs ending in /p2p/<ID> that the host dials at
	// start and redials whenever they drop.
	Bootstrap []string
	// Registerer receives the host's metrics and go-libp2p's own; nil means none.
	Registerer prometheus.Registerer
	// Log defaults to slog.Default().
	Log *slog.Logger

	// RequestTimeout bounds one Request or one served request when the
	// caller's context has no deadline (default 10s).
	RequestTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// attempts to redial a bootstrap peer (defaults 1s and 1m).
	ReconnectMin, ReconnectMax time.Duration
	// ConnLow and ConnHigh are the connection manager's watermarks: above
	// ConnHigh it trims back to ConnLow, never cutting bootstrap peers
	// (defaults 64 and 256).
	ConnLow, ConnHigh int

	// scoreInspectPeriod is how often the gossip peer scores are snapshot
	// for PeerScores and the penalised-peers metric (default 10s).
	scoreInspectPeriod time.Duration
	// maxGossipSize overrides the gossip RPC limit; tests use it to build a
	// sender that breaks the cap.
	maxGossipSize int
	// now is the repeat cache's clock (default time.Now); tests move it.
	now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.ReconnectMin <= 0 {
		c.ReconnectMin = time.Second
	}
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = max(time.Minute, c.ReconnectMin)
	}
	if c.ConnHigh <= 0 {
		c.ConnLow, c.ConnHigh = 64, 256
	}
	if c.ConnLow <= 0 || c.ConnLow > c.ConnHigh {
		c.ConnLow = c.ConnHigh / 4
	}
	if c.scoreInspectPeriod <= 0 {
		c.scoreInspectPeriod = 10 * time.Second
	}
	if c.maxGossipSize <= 0 {
		c.maxGossipSize = maxGossipRPC
	}
	if c.now == nil {
		c.now = time.Now
	}
}

// Host is the node's one libp2p endpoint: every subnet's topics and stream
// protocols share it, so two nodes hold one connection between them however
// many subnets they have in common.
type Host struct {
	cfg     Config
	log     *slog.Logger
	host    host.Host
	ps      *pubsub.PubSub
	cm      *connmgr.BasicConnMgr
	metrics *metrics

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	handlerSlots chan struct{} // bounds concurrently served requests
	repeats      *repeatCache  // recent verdicts by payload (repeat.go)

	mu struct {
		sync.Mutex
		closed   bool
		topics   map[string]*topic
		scores   map[peer.ID]float64 // last score inspection
		inflight map[peer.ID]int     // requests being served, per peer
	}
	// pen counts messages our validators rejected, per forwarding peer; it
	// feeds the application-specific gossipsub score (gossip.go).
	pen struct {
		sync.Mutex
		m map[peer.ID]rejectRecord
	}
}

var _ p2p.Host = (*Host)(nil)

// New starts a host: it listens, starts gossipsub, and begins dialing the
// bootstrap peers in the background (it does not wait for them). ctx bounds
// only the start; the host lives until Close.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("libp2p: start host: %w", err)
	}
	if cfg.Key == nil {
		return nil, fmt.Errorf("%w: no identity key (use LoadOrGenerateIdentityKey)", ErrConfig)
	}
	cfg.setDefaults()
	boot, err := parseAddrs(cfg.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("%w: bootstrap: %w", ErrConfig, err)
	}

	limits := rcmgr.DefaultLimits
	golibp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()), rcmgr.WithMetricsDisabled())
	if err != nil {
		return nil, fmt.Errorf("libp2p: resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(cfg.ConnLow, cfg.ConnHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("%w: connection manager: %w", ErrConfig, err)
	}
	opts := []golibp2p.Option{
		golibp2p.Identity(cfg.Key),
		golibp2p.ListenAddrStrings(cfg.ListenAddrs...),
		golibp2p.ResourceManager(rm),
		golibp2p.ConnectionManager(cm),
	}
	if len(cfg.ListenAddrs) == 0 {
		opts = append(opts, golibp2p.NoListenAddrs)
	}
	if len(cfg.AnnounceAddrs) > 0 {
		announce := make([]ma.Multiaddr, 0, len(cfg.AnnounceAddrs))
		for _, s := range cfg.AnnounceAddrs {
			a, err := ma.NewMultiaddr(s)
			if err != nil {
				return nil, fmt.Errorf("%w: announce address %q: %w (want one like /ip4/203.0.113.7/tcp/26656)", ErrConfig, s, err)
			}
			if _, err := a.ValueForProtocol(ma.P_P2P); err == nil {
				return nil, fmt.Errorf("%w: announce address %q: leave out /p2p/<ID>, the host adds its own", ErrConfig, s)
			}
			announce = append(announce, a)
		}
		opts = append(opts, golibp2p.AddrsFactory(func([]ma.Multiaddr) []ma.Multiaddr { return announce }))
	}
	if cfg.Registerer != nil {
		opts = append(opts, golibp2p.PrometheusRegisterer(cfg.Registerer))
	} else {
		opts = append(opts, golibp2p.DisableMetrics())
	}
	lh, err := golibp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("libp2p: start host on %v: %w", cfg.ListenAddrs, err)
	}

	hctx, cancel := context.WithCancel(context.Background())
	h := &Host{
		cfg: cfg, log: cfg.Log.With("peer", lh.ID().String()), host: lh, cm: cm,
		ctx: hctx, cancel: cancel,
		handlerSlots: make(chan struct{}, maxConcurrentHandlers),
		repeats:      newRepeatCache(cfg.now),
	}
	h.mu.topics = make(map[string]*topic)
	h.mu.inflight = make(map[peer.ID]int)
	if h.metrics, err = newMetrics(cfg.Registerer, h); err != nil {
		cancel()
		lh.Close()
		return nil, err
	}
	if h.ps, err = h.newPubSub(hctx); err != nil {
		cancel()
		lh.Close()
		return nil, err
	}
	lh.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		go h.dedupe(c.RemotePeer())
	}})
	for _, ai := range boot {
		lh.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
		cm.Protect(ai.ID, "bootstrap")
		h.wg.Add(1)
		go h.keepConnected(ai)
	}
	h.log.Info("p2p host started", "addrs", h.Addrs(), "bootstrap", len(boot))
	return h, nil
}

// ID is the host's peer ID.
func (h *Host) ID() string { return h.host.ID().String() }

// Addrs are the addresses the host advertises (its listen addresses, or
// Config.AnnounceAddrs), each ending in /p2p/<ID>.
func (h *Host) Addrs() []string {
	suffix := "/p2p/" + h.host.ID().String()
	var out []string
	for _, a := range h.host.Addrs() {
		out = append(out, a.String()+suffix)
	}
	return out
}

// Connect dials addr (a multiaddr ending in /p2p/<ID>); it is a no-op when
// already connected. Unlike bootstrap peers, the peer is not redialed if the
// connection drops.
func (h *Host) Connect(ctx context.Context, addr string) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	ai, err := parseAddr(addr)
	if err != nil {
		return err
	}
	if ai.ID == h.host.ID() {
		return fmt.Errorf("%w: %s is this host", ErrAddr, addr)
	}
	ctx, cancel := h.withTimeout(ctx)
	defer cancel()
	if err := h.host.Connect(ctx, *ai); err != nil {
		return fmt.Errorf("libp2p: connect %s: %w", addr, err)
	}
	return nil
}

// Peers lists the connected peers, their known addresses and how many
// connections we hold to each (one, normally).
func (h *Host) Peers() []p2p.PeerInfo {
	net := h.host.Network()
	var out []p2p.PeerInfo
	for _, id := range net.Peers() {
		conns := net.ConnsToPeer(id)
		if len(conns) == 0 {
			continue
		}
		info := p2p.PeerInfo{ID: id.String(), Connections: len(conns)}
		for _, a := range h.host.Peerstore().Addrs(id) {
			info.Addrs = append(info.Addrs, a.String())
		}
		out = append(out, info)
	}
	return out
}

// TopicPeers lists the connected peers we know subscribe to topic.
func (h *Host) TopicPeers(topic string) []string {
	var out []string
	for _, id := range h.ps.ListPeers(topic) {
		out = append(out, id.String())
	}
	return out
}

// PeerScores is the last snapshot of the gossipsub scores of connected peers
// (taken every few seconds); a negative score is a penalised peer.
func (h *Host) PeerScores() map[string]float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]float64, len(h.mu.scores))
	for id, s := range h.mu.scores {
		out[id.String()] = s
	}
	return out
}

// Close leaves every topic, stops the reconnect loops and closes every
// connection. Calls after the first return nil.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.mu.closed {
		h.mu.Unlock()
		return nil
	}
	h.mu.closed = true
	topics := make([]*topic, 0, len(h.mu.topics))
	for _, t := range h.mu.topics {
		if t != nil { // nil: a Join under way
			topics = append(topics, t)
		}
	}
	h.mu.Unlock()
	for _, t := range topics {
		t.Close()
	}
	h.cancel()
	h.wg.Wait()
	err := h.host.Close()
	h.metrics.unregister()
	if err != nil {
		return fmt.Errorf("libp2p: close host: %w", err)
	}
	return nil
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mu.closed
}

// withTimeout bounds ctx by RequestTimeout unless it already has a deadline.
func (h *Host) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.cfg.RequestTimeout)
}

func (h *Host) connected(id peer.ID) bool {
	return h.host.Network().Connectedness(id) == network.Connected
}

func parseAddr(s string) (*peer.AddrInfo, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrAddr, s, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %q must end in /p2p/<peer ID>: %w", ErrAddr, s, err)
	}
	return ai, nil
}

// parseAddrs parses multiaddrs and merges those of the same peer.
func parseAddrs(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	index := map[peer.ID]int{}
	for _, s := range addrs {
		ai, err := parseAddr(s)
		if err != nil {
			return nil, err
		}
		if i, ok := index[ai.ID]; ok {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
			continue
		}
		index[ai.ID] = len(out)
		out = append(out, *ai)
	}
	return out, nil
}

func decodePeer(s string) (peer.ID, error) {
	id, err := peer.Decode(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrPeerID, s, err)
	}
	return id, nil
}

// dedupe keeps one connection per peer. Two nodes that dial each other at the
// same moment (both bootstrap from each other, or both learn each other from
// a gateway) end up with two; both sides keep the same one — the one the
// peer with the smaller ID dialed — and close the rest, so whatever subnets
// two nodes share, they share one connection.
func (h *Host) dedupe(p peer.ID) {
	conns := h.host.Network().ConnsToPeer(p)
	if len(conns) < 2 {
		return
	}
	weDial := h.host.ID() < p // the smaller ID's outbound connection survives
	keep := -1
	for i, c := range conns {
		out := c.Stat().Direction == network.DirOutbound
		if out == weDial && (keep < 0 || c.Stat().Opened.Before(conns[keep].Stat().Opened)) {
			keep = i
		}
	}
	if keep < 0 {
		return // only connections the other side should close; it will
	}
	for i, c := range conns {
		if i != keep {
			_ = c.Close()
		}
	}
}
