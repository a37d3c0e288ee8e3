package witnesssync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// Source is one subnet's final blocks and their witnesses, as a node that
// runs it holds them.
type Source interface {
	// Final is the newest final block's header, nil before genesis.
	Final() *types.Header
	BlockByNumber(height uint64) (*types.Block, error)
	// Witness is the encoded execution witness (execution/witness) of the
	// final block hash. Errors wrapping ErrNotHeld (the parent state was
	// pruned) and ErrBusy (the executor's builds are taken) are answered
	// with their codes; any other is CodeInternal.
	Witness(hash common.Hash) ([]byte, error)
}

// ServerConfig configures Serve. Sources is required.
type ServerConfig struct {
	// Sources returns the Source of a subnet this node runs, nil for others.
	Sources func(types.SubnetID) Source
	Log     *slog.Logger     // default slog.Default()
	Now     func() time.Time // default time.Now

	// CacheBytes bounds the cache of recently served items (default 8 MiB):
	// the jurors of one checkpoint ask for the same period at about the
	// same time, and only the first pays for the witnesses.
	CacheBytes int
	// Builds is how many witnesses the node builds at once for all peers
	// (default 1: each re-executes a whole block; block production keeps
	// the other cores).
	Builds int
	// PeerRate and PeerBurst are a peer's token bucket, in blocks served
	// (defaults 32 per second and 2 × MaxBlocksPerRequest).
	PeerRate  float64
	PeerBurst float64
	// PeerInFlight is how many requests of one peer are served at once
	// (default 2).
	PeerInFlight int
	// ServeTime bounds the work of one answer: after it, the server sends
	// what it has (at least one item) and the requester asks again
	// (default 3s, under the transport's 10s request timeout).
	ServeTime time.Duration
}

// Strikes: a peer that sends maxStrikes malformed requests within banFor is
// refused (CodeBanned) for banFor. Honest nodes never send one.
const (
	maxStrikes = 3
	banFor     = 10 * time.Minute
	// maxPeerRecords bounds the peer table; idle peers are forgotten first.
	maxPeerRecords = 4096
)

func (c *ServerConfig) setDefaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CacheBytes <= 0 {
		c.CacheBytes = 8 << 20
	}
	if c.Builds <= 0 {
		c.Builds = 1
	}
	if c.PeerRate <= 0 {
		c.PeerRate = 32
	}
	if c.PeerBurst <= 0 {
		c.PeerBurst = 2 * MaxBlocksPerRequest
	}
	if c.PeerInFlight <= 0 {
		c.PeerInFlight = 2
	}
	if c.ServeTime <= 0 {
		c.ServeTime = 3 * time.Second
	}
}

// Server answers p2p.WitnessProtocol requests for every subnet Sources
// knows.
type Server struct {
	cfg    ServerConfig
	builds chan struct{}
	mu     struct {
		sync.Mutex
		peers map[string]*peerLimit
		cache *itemCache
	}
}

// peerLimit is what the server remembers of one requester.
type peerLimit struct {
	tokens      float64
	refilled    time.Time
	inflight    int
	strikes     int
	firstStrike time.Time
	bannedUntil time.Time
}

// Serve starts answering p2p.WitnessProtocol on h.
func Serve(h p2p.Host, cfg ServerConfig) *Server {
	s := NewServer(cfg)
	h.Handle(p2p.WitnessProtocol, s.Handle)
	return s
}

// NewServer is a Server not yet attached to a host (Serve attaches one).
func NewServer(cfg ServerConfig) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, builds: make(chan struct{}, cfg.Builds)}
	s.mu.peers = map[string]*peerLimit{}
	s.mu.cache = newItemCache(cfg.CacheBytes)
	return s
}

// Handle is the p2p.RequestHandler: every request gets an answer with a
// code, so a requester learns why it was refused.
func (s *Server) Handle(ctx context.Context, from string, msg []byte) ([]byte, error) {
	allowance, code, why := s.admit(from)
	if code != CodeOK {
		return refusal(code, why), nil
	}
	defer s.release(from)
	req, err := decodeRequest(msg)
	if err != nil {
		s.strike(from)
		return refusal(CodeMalformed, err.Error()), nil
	}
	src := s.cfg.Sources(types.SubnetID(req.Subnet))
	if src == nil {
		return refusal(CodeUnknownSubnet, fmt.Sprintf("this node does not run %s", req.Subnet)), nil
	}
	ans, served, code, why := s.serve(ctx, src, req, allowance)
	s.charge(from, served)
	if code != CodeOK {
		return refusal(code, why), nil
	}
	return ans, nil
}

// admit takes one of from's in-flight slots and returns how many blocks
// its bucket allows now, or the code refusing it.
func (s *Server) admit(from string) (allowance int, code Code, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	p := s.peerLocked(from, now)
	switch {
	case now.Before(p.bannedUntil):
		return 0, CodeBanned, fmt.Sprintf("refused until %s for %d malformed requests", p.bannedUntil.UTC().Format(time.RFC3339), maxStrikes)
	case p.inflight >= s.cfg.PeerInFlight:
		return 0, CodeRateLimited, fmt.Sprintf("%d requests in flight already, the limit", p.inflight)
	}
	p.tokens = min(s.cfg.PeerBurst, p.tokens+now.Sub(p.refilled).Seconds()*s.cfg.PeerRate)
	p.refilled = now
	if p.tokens < 1 {
		wait := time.Duration((1 - p.tokens) / s.cfg.PeerRate * float64(time.Second))
		return 0, CodeRateLimited, fmt.Sprintf("over %g blocks a second; ask again in %s", s.cfg.PeerRate, wait.Round(time.Millisecond))
	}
	p.inflight++
	return int(p.tokens), CodeOK, ""
}

func (s *Server) release(from string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.mu.peers[from]; p != nil {
		p.inflight--
	}
}

// charge takes n blocks from from's bucket.
func (s *Server) charge(from string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.mu.peers[from]; p != nil {
		p.tokens -= float64(n)
	}
}

// strike counts a malformed request against from, banning it at maxStrikes.
func (s *Server) strike(from string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	p := s.peerLocked(from, now)
	if now.Sub(p.firstStrike) > banFor {
		p.strikes, p.firstStrike = 0, now
	}
	if p.strikes++; p.strikes >= maxStrikes {
		p.strikes, p.bannedUntil = 0, now.Add(banFor)
		s.cfg.Log.Info("witness requests refused: malformed requests", "peer", from, "for", banFor)
	}
}

// peerLocked returns from's record, creating it with a full bucket; a full
// table first forgets the peers with nothing to remember.
func (s *Server) peerLocked(from string, now time.Time) *peerLimit {
	if p := s.mu.peers[from]; p != nil {
		return p
	}
	if len(s.mu.peers) >= maxPeerRecords {
		for id, p := range s.mu.peers {
			full := p.tokens+now.Sub(p.refilled).Seconds()*s.cfg.PeerRate >= s.cfg.PeerBurst
			if p.inflight == 0 && full && now.After(p.bannedUntil) && now.Sub(p.firstStrike) > banFor {
				delete(s.mu.peers, id)
			}
		}
	}
	p := &peerLimit{tokens: s.cfg.PeerBurst, refilled: now}
	if len(s.mu.peers) < maxPeerRecords {
		s.mu.peers[from] = p
	}
	return p
}

// serve builds the answer to req: consecutive items from req.From, at most
// req.Count, MaxBlocksPerRequest and allowance of them, stopping before
// the one that would take the answer over p2p.MaxMessageSize or after
// ServeTime. served is how many blocks it holds.
func (s *Server) serve(ctx context.Context, src Source, req *request, allowance int) (ans []byte, served int, code Code, why string) {
	final := src.Final()
	if final == nil || req.From > final.Height {
		head := "no blocks"
		if final != nil {
			head = fmt.Sprintf("final head %d", final.Height)
		}
		return nil, 0, CodeNotHeld, fmt.Sprintf("block %d of %s is not final here (%s)", req.From, req.Subnet, head)
	}
	n := min(req.Count, MaxBlocksPerRequest, final.Height-req.From+1, uint64(allowance))
	start := s.cfg.Now()
	var (
		items []rlp.RawValue
		size  int
	)
	for h := req.From; h < req.From+n; h++ {
		if len(items) > 0 && (ctx.Err() != nil || s.cfg.Now().Sub(start) > s.cfg.ServeTime) {
			break
		}
		item, err := s.item(ctx, src, h)
		if err != nil {
			if len(items) > 0 {
				break // serve what we have; the requester asks again from here
			}
			return nil, 0, codeOf(err), err.Error()
		}
		if size+len(item) > MaxItemBytes {
			if len(items) == 0 {
				return nil, 0, CodeTooLarge, fmt.Sprintf("block %d with its witness is %d bytes, over the %d-byte item cap", h, len(item), MaxItemBytes)
			}
			break
		}
		items = append(items, item)
		size += len(item)
	}
	enc, err := encode(&rawAnswer{Code: uint8(CodeOK), Items: items})
	if err != nil {
		return nil, 0, CodeInternal, err.Error()
	}
	return enc, len(items), CodeOK, ""
}

// codeOf is the answer code of an error building an item.
func codeOf(err error) Code {
	switch {
	case errors.Is(err, ErrNotHeld):
		return CodeNotHeld
	case errors.Is(err, ErrBusy), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeBusy
	default:
		return CodeInternal
	}
}

// item is block h of src with its witness, encoded: from the cache, or
// built when a build slot is free within ctx.
func (s *Server) item(ctx context.Context, src Source, h uint64) (rlp.RawValue, error) {
	b, err := src.BlockByNumber(h)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", h, err)
	}
	if b == nil || b.Header == nil || b.Height() != h {
		return nil, fmt.Errorf("%w: no block at height %d", ErrNotHeld, h)
	}
	hash := b.Hash()
	s.mu.Lock()
	item, ok := s.mu.cache.get(hash)
	s.mu.Unlock()
	if ok {
		return item, nil
	}
	select {
	case s.builds <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for a witness build: %w", ErrBusy, ctx.Err())
	}
	w, err := src.Witness(hash)
	<-s.builds
	if err != nil {
		return nil, fmt.Errorf("witness of block %d: %w", h, err)
	}
	item, err = rlp.EncodeToBytes(&wireItem{Block: b, Witness: w})
	if err != nil {
		return nil, fmt.Errorf("encode block %d: %w", h, err)
	}
	s.mu.Lock()
	s.mu.cache.put(hash, item)
	s.mu.Unlock()
	return item, nil
}
