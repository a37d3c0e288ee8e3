package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aspen-chain/aspen/blocksync"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/internal/progress"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// syncer catches a runtime up through block sync when its engine saw the
// network ahead of it, asking the peers its peer book picks.
type syncer struct {
	id   types.SubnetID
	kind consensus.Kind // verifies the certificates of synced blocks
	// engine is the chain's engine config, for kinds whose headers are
	// their own proof (pow: Kind.CheckHeader) rather than a certificate.
	engine  consensus.Config
	host    p2p.Host
	log     *slog.Logger
	metrics *metrics
	chain   *chain                         // head and commits of the chain synced
	final   func() *types.Header           // the chain's final block: what sync builds on
	vals    func() *consensus.ValidatorSet // the set deciding head+1
	deliver func(blocks []driver.Synced)   // hands verified blocks to the driver
	wanted  chan uint64
	book    *peerBook // owned by loop's goroutine
}

func newSyncer(rt *runtime, engine consensus.Config) *syncer {
	return &syncer{id: rt.id, kind: rt.kind, engine: engine, host: rt.host, log: rt.log, metrics: rt.metrics, chain: &rt.chain,
		vals: rt.vals.Load, final: rt.Final,
		deliver: func(b []driver.Synced) { rt.driver.DeliverSynced(b) },
		wanted:  make(chan uint64, 1), book: newPeerBook(time.Now)}
}

// request is the driver's OnSyncTo: it wakes the syncer without blocking.
func (s *syncer) request(height uint64) {
	select {
	case s.wanted <- height:
	default:
	}
}

// Polling: a syncer asks its peers for their heights pollMin after it
// last looked, and twice as long after each look that found nobody ahead,
// up to pollMax: a resting subnet's syncer must not cost a round trip to
// every peer every few seconds, and one that learns of the network moving
// on (a peer's vote, SyncTo) looks at once anyway.
const (
	pollMin = 3 * time.Second
	pollMax = 24 * time.Second
)

// nextPoll is the wait after a look, which followed a wait of last, and
// fetched blocks or was asked for (active) or not.
func nextPoll(last time.Duration, active bool) time.Duration {
	if active {
		return pollMin
	}
	return min(2*last, pollMax)
}

// loop syncs when asked, and checks its peers now and then anyway (a
// node restarted into a quiet network hears nothing that would tell it).
func (s *syncer) loop(ctx context.Context) {
	wait := pollMin
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		asked := false
		select {
		case <-ctx.Done():
			return
		case <-s.wanted:
			asked = true
		case <-t.C:
		}
		before := s.final().Height
		s.once(ctx)
		wait = nextPoll(wait, asked || s.final().Height > before)
		t.Reset(wait)
	}
}

// claims asks every usable peer of the subnet for its height.
func (s *syncer) claims(ctx context.Context) []peerClaim {
	var out []peerClaim
	for _, p := range s.book.usable(s.host.TopicPeers(p2p.ConsensusTopic(s.id))) {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		h, _, err := blocksync.Status(sctx, s.host, s.id, p)
		cancel()
		if err != nil {
			s.banned(p, s.book.failed(p), "no status")
			continue
		}
		out = append(out, peerClaim{peer: p, height: h})
	}
	return out
}

// once fetches and hands the driver verified blocks until no peer is ahead.
func (s *syncer) once(ctx context.Context) {
	var shown syncProgress
	for ctx.Err() == nil {
		// Peers serve their final blocks, and so does this node's base: under
		// probabilistic finality the blocks above its final block may be a
		// branch the network left, which the driver replaces (applySynced).
		claims := s.claims(ctx)
		peer, ok := s.book.pick(claims, s.final().Height)
		if !ok {
			shown.caughtUp(s.log, s.final().Height)
			return
		}
		shown.log(s.log, s.final().Height, claims)
		// The set that checks the blocks is the one deciding `from`, read
		// with the head now: read after the fetch, a commit meanwhile could
		// have moved it and banned an honest peer as a liar. vals moves after
		// the head, and a head naming the next set is believed first.
		vs := s.vals()
		head := s.final()
		if nv := head.NextValidators; len(nv) > 0 {
			if named, err := consensus.NewValidatorSet(nv); err == nil {
				vs = named
			}
		}
		from := head.Height + 1
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		items, err := blocksync.Fetch(fctx, s.host, s.id, peer, from, 64)
		cancel()
		if err != nil || len(items) == 0 {
			s.log.Debug("block sync fetch failed", "peer", peer, "from", from, "err", err)
			s.banned(peer, s.book.failed(peer), "no blocks above our head")
			return
		}
		var verified []driver.Synced // blocks that name a next set move vs
		parent := head
		for _, it := range items {
			if err := s.verifyCertified(vs, parent, it.Block, it.Commit); err != nil {
				s.log.Warn("peer served a block we cannot verify", "peer", peer, "height", it.Block.Height(), "err", err)
				s.metrics.rejected.WithLabelValues(string(s.id), "blocksync").Inc()
				break
			}
			verified = append(verified, driver.Synced{Block: it.Block, Commit: it.Commit})
			parent = it.Block.Header
			if nv := it.Block.Header.NextValidators; len(nv) > 0 {
				next, err := consensus.NewValidatorSet(nv)
				if err != nil {
					s.log.Warn("peer served a block naming an invalid validator set", "peer", peer, "height", it.Block.Height(), "err", err)
					break
				}
				vs = next
			}
		}
		if len(verified) < len(items) {
			s.banned(peer, s.book.lied(peer), "unverifiable block") // no honest peer serves one
		} else {
			s.book.served(peer)
		}
		if len(verified) == 0 {
			return
		}
		s.deliver(verified)
		s.metrics.synced.WithLabelValues(string(s.id)).Add(float64(len(verified)))
		// Wait for the driver to apply them before asking for more.
		timeout := time.NewTimer(30 * time.Second)
		for s.chain.head.Load().Height < verified[len(verified)-1].Block.Height() {
			select {
			case <-ctx.Done():
			case <-timeout.C:
				s.log.Warn("synced blocks not applied within 30s", "to", verified[len(verified)-1].Block.Height())
				return
			case <-s.chain.commits:
				continue
			}
			break
		}
		timeout.Stop()
	}
}

// syncProgress logs a long sync's height, rate and time left now and then.
type syncProgress struct {
	meter  *progress.Meter // nil until the node found itself behind
	logged time.Time
	target uint64
	quiet  bool             // a gap of a few blocks, as a follower often has: debug lines only
	now    func() time.Time // nil: time.Now
}

// syncLogEvery spaces the progress lines of a sync; a sync that starts
// fewer than syncQuietGap blocks behind logs at debug level.
const (
	syncLogEvery = 5 * time.Second
	syncQuietGap = 32
)

func (p *syncProgress) log(log *slog.Logger, height uint64, claims []peerClaim) {
	for _, c := range claims {
		p.target = max(p.target, c.height)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.meter == nil {
		p.meter, p.logged = progress.NewMeter(p.now, int64(height)), p.now()
		p.quiet = p.target < height+syncQuietGap
		p.level(log)("block sync started", "height", height, "target", p.target)
		return
	}
	if p.quiet || p.now().Sub(p.logged) < syncLogEvery {
		return
	}
	p.logged = p.now()
	st := p.meter.At(int64(height), int64(p.target))
	attrs := []any{"height", height, "target", p.target, "blocks_per_sec", progress.FormatRate(st.Rate)}
	if st.HaveETA {
		attrs = append(attrs, "eta", progress.FormatETA(st.ETA))
	}
	log.Info("block sync progress", attrs...)
}

func (p *syncProgress) level(log *slog.Logger) func(string, ...any) {
	if p.quiet {
		return log.Debug
	}
	return log.Info
}

func (p *syncProgress) caughtUp(log *slog.Logger, height uint64) {
	if p.meter == nil {
		return
	}
	st := p.meter.At(int64(height), 0)
	p.level(log)("block sync done", "height", height, "took", st.Elapsed.Round(time.Millisecond), "blocks_per_sec", progress.FormatRate(st.Rate))
}

// banned reports a ban the peer book just gave (d > 0).
func (s *syncer) banned(peer string, d time.Duration, why string) {
	if d > 0 {
		s.log.Warn("peer banned from block sync", "peer", peer, "for", d, "why", why)
		s.metrics.rejected.WithLabelValues(string(s.id), "blocksync-peer").Inc()
	}
}

// verifyCertified checks that c certifies b under vs, the set deciding b's
// height, and that b's body is the one its header commits to. For an
// engine whose headers are their own proof (pow), b must instead follow
// parent by the engine's rules (linkage, difficulty, work).
//
// A pow peer serves the blocks it holds final; a node that syncs trusts
// that they are on the heaviest chain, as a node joining any Nakamoto
// chain trusts the peers it first hears from, and the engine takes over
// from the synced block on (see docs/ARCHITECTURE.md §4).
func (s *syncer) verifyCertified(vs *consensus.ValidatorSet, parent *types.Header, b *types.Block, c *types.Commit) error {
	if b.Header.SubnetID != s.id {
		return errors.New("block of another subnet")
	}
	// The certificate covers the header only: a peer could serve a
	// certified header with another body.
	if err := s.kind.CheckBlockBody(b, types.CheckTxRoot); err != nil {
		return err
	}
	if s.kind.VerifyCommit == nil && s.kind.CheckHeader != nil {
		return s.kind.CheckHeader(parent, b.Header, s.engine)
	}
	if c == nil || c.BlockHash != b.Hash() || c.Height != b.Height() {
		return errors.New("certificate does not name this block")
	}
	if s.kind.VerifyCommit == nil {
		return fmt.Errorf("engine %s makes no certificates to verify", s.kind.Name)
	}
	return s.kind.VerifyCommit(vs, s.id, c)
}
