package witnesssync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

var (
	// ErrBadItem is what a Check wraps when the item itself is wrong (a
	// witness that is incomplete or for another block, a body that is not
	// the header's): the source is blamed and another asked.
	ErrBadItem = errors.New("witnesssync: the item does not check")
	// ErrUnavailable reports a period no source served in a form that
	// checks; it lists what each said.
	ErrUnavailable = errors.New("witnesssync: no source served the period")
	// ErrPeriod reports a FetchPeriod call with bad bounds.
	ErrPeriod = errors.New("witnesssync: bad period")
)

// Check judges one item of a period whose blocks are linked already. An
// error wrapping ErrBadItem blames the source; any other error stops the
// fetch and is returned (the caller cannot judge: its parent chain is
// behind, say).
type Check func(Item) error

// FetcherConfig configures NewFetcher. Without Host only Local serves.
type FetcherConfig struct {
	Host p2p.Host
	// Local returns this node's own Source of a subnet it runs (nil if
	// not): asked before any peer.
	Local func(types.SubnetID) Source
	// Peers lists the peers to ask for a subnet (default: the peers of
	// its consensus topic the host knows of).
	Peers func(types.SubnetID) []string
	Log   *slog.Logger     // default slog.Default()
	Now   func() time.Time // default time.Now
	// Wait waits d or until ctx ends, before asking a busy peer again
	// (default a timer); tests replace it.
	Wait func(ctx context.Context, d time.Duration) error
	// RequestTimeout bounds one request (default 10s).
	RequestTimeout time.Duration
}

// Bans of sources whose answers do not check: liarBan, doubling with each
// repeat up to maxLiarDoublings. A source that merely fails (refuses, times
// out) is asked after the others next time, not banned.
const (
	liarBan          = time.Minute
	maxLiarDoublings = 5
	// busyRetries is how often one peer that answers CodeBusy or
	// CodeRateLimited is asked again, busyWait × the attempt apart, before
	// the next peer is tried.
	busyRetries = 3
	busyWait    = 300 * time.Millisecond
)

// localSource names this node's own store in errors and logs.
const localSource = "local store"

// Fetcher fetches periods of blocks with witnesses. It is safe for
// concurrent use; its peer book outlives one fetch.
type Fetcher struct {
	cfg FetcherConfig
	mu  struct {
		sync.Mutex
		peers map[string]*sourceRecord
	}
}

type sourceRecord struct {
	failures    int // since it last served
	offences    int
	bannedUntil time.Time
}

// NewFetcher returns a Fetcher for cfg.
func NewFetcher(cfg FetcherConfig) *Fetcher {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Peers == nil && cfg.Host != nil {
		h := cfg.Host
		cfg.Peers = func(id types.SubnetID) []string { return h.TopicPeers(p2p.ConsensusTopic(id)) }
	}
	if cfg.Wait == nil {
		cfg.Wait = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	f := &Fetcher{cfg: cfg}
	f.mu.peers = map[string]*sourceRecord{}
	return f
}

// FetchPeriod returns blocks from..to of subnet with their witnesses, the
// last block hashing to want (a committed checkpoint's BlockHash, or the
// ParentHash of the block above a window already checked), every block
// the parent of the next, and every item passed by check (nil: none). It
// asks this node's own store first, then the subnet's peers one at a time;
// a peer whose answer does not link or check is banned and the next one
// asked. At most MaxPeriodBlocks blocks per call.
func (f *Fetcher) FetchPeriod(ctx context.Context, subnet types.SubnetID, from, to uint64, want common.Hash, check Check) ([]Item, error) {
	switch {
	case from == 0 || to < from:
		return nil, fmt.Errorf("%w: blocks %d..%d (the first must be 1 or more, the last not below it)", ErrPeriod, from, to)
	case to-from >= MaxPeriodBlocks:
		return nil, fmt.Errorf("%w: %d blocks, over %d a fetch: fetch it in windows", ErrPeriod, to-from+1, MaxPeriodBlocks)
	}
	var tried []string
	attempt := func(source string, fetch func() ([]Item, error)) ([]Item, error) {
		items, err := fetch()
		if err == nil {
			if err = checkLinks(items, from, to, want); err == nil {
				err = checkAll(items, check)
			}
		}
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", source, err))
		}
		return items, err
	}
	if f.cfg.Local != nil {
		if src := f.cfg.Local(subnet); src != nil {
			items, err := attempt(localSource, func() ([]Item, error) { return localItems(src, from, to) })
			if err == nil || isStop(err) {
				return items, stopErr(err)
			}
			f.cfg.Log.Warn("own store cannot serve a period with witnesses", "subnet", subnet, "from", from, "to", to, "err", err)
		}
	}
	if f.cfg.Peers != nil && f.cfg.Host != nil {
		for _, peer := range f.order(f.cfg.Peers(subnet)) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			items, err := attempt(peer, func() ([]Item, error) { return f.fromPeer(ctx, peer, subnet, from, to) })
			switch {
			case err == nil:
				f.served(peer)
				return items, nil
			case isStop(err):
				return nil, stopErr(err)
			case errAnswerBroken(err):
				d := f.lied(peer)
				f.cfg.Log.Warn("peer served a period that does not check; banned", "peer", peer, "subnet", subnet, "for", d, "err", err)
			default:
				f.failed(peer)
			}
		}
	}
	if len(tried) == 0 {
		tried = []string{"no source: this node does not run it and no peer serves it"}
	}
	return nil, fmt.Errorf("%w: blocks %d..%d of %s: %s", ErrUnavailable, from, to, subnet, strings.Join(tried, "; "))
}

// stopError marks a Check's error that is not the source's fault.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

func isStop(err error) bool {
	var s *stopError
	return errors.As(err, &s)
}

func stopErr(err error) error {
	var s *stopError
	if errors.As(err, &s) {
		return s.err
	}
	return err
}

// checkAll runs check on every item; an error not wrapping ErrBadItem is
// wrapped as a stopError.
func checkAll(items []Item, check Check) error {
	if check == nil {
		return nil
	}
	for _, it := range items {
		if err := check(it); err != nil {
			if errors.Is(err, ErrBadItem) {
				return fmt.Errorf("block %d: %w", it.Block.Height(), err)
			}
			return &stopError{err: err}
		}
	}
	return nil
}

// localItems reads blocks from..to and their witnesses from src.
func localItems(src Source, from, to uint64) ([]Item, error) {
	final := src.Final()
	if final == nil || final.Height < to {
		return nil, fmt.Errorf("%w: block %d is not final here", ErrNotHeld, to)
	}
	items := make([]Item, 0, to-from+1)
	for h := from; h <= to; h++ {
		b, err := src.BlockByNumber(h)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		if b == nil || b.Header == nil {
			return nil, fmt.Errorf("%w: no block at height %d", ErrNotHeld, h)
		}
		w, err := src.Witness(b.Hash())
		if err != nil {
			return nil, fmt.Errorf("witness of block %d: %w", h, err)
		}
		items = append(items, Item{Block: b, Witness: w})
	}
	return items, nil
}

// fromPeer fetches from..to from peer in as many requests as its answers
// take, asking a busy peer again a few times.
func (f *Fetcher) fromPeer(ctx context.Context, peer string, subnet types.SubnetID, from, to uint64) ([]Item, error) {
	var items []Item
	for busy := 0; uint64(len(items)) < to-from+1; {
		next := from + uint64(len(items))
		rctx, cancel := context.WithTimeout(ctx, f.cfg.RequestTimeout)
		got, err := Fetch(rctx, f.cfg.Host, peer, subnet, next, int(to-next+1))
		cancel()
		if (errors.Is(err, ErrBusy) || errors.Is(err, ErrRateLimited)) && busy < busyRetries {
			busy++
			if werr := f.cfg.Wait(ctx, time.Duration(busy)*busyWait); werr != nil {
				return nil, werr
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(items) > 0 && got[0].Block.Header.ParentHash != items[len(items)-1].Block.Hash() {
			return nil, fmt.Errorf("%w: %s sent block %d whose parent is not the block %d it sent before", ErrBadAnswer, peer, next, next-1)
		}
		items, busy = append(items, got...), 0
	}
	return items, nil
}

// order is peers without the banned ones, those that failed least first.
func (f *Fetcher) order(peers []string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.cfg.Now()
	out := make([]string, 0, len(peers))
	present := map[string]bool{}
	for _, p := range peers {
		present[p] = true
		if r := f.mu.peers[p]; r == nil || !now.Before(r.bannedUntil) {
			out = append(out, p)
		}
	}
	for p, r := range f.mu.peers {
		if !present[p] && !now.Before(r.bannedUntil.Add(liarBan<<maxLiarDoublings)) {
			delete(f.mu.peers, p) // gone, and long enough that a reconnect cannot reset a ban
		}
	}
	fails := func(p string) int {
		if r := f.mu.peers[p]; r != nil {
			return r.failures
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b string) int { return fails(a) - fails(b) })
	return out
}

func (f *Fetcher) record(peer string) *sourceRecord {
	r := f.mu.peers[peer]
	if r == nil {
		r = &sourceRecord{}
		f.mu.peers[peer] = r
	}
	return r
}

func (f *Fetcher) served(peer string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(peer).failures = 0
}

func (f *Fetcher) failed(peer string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(peer).failures++
}

// lied bans peer, for longer with each offence, and returns the ban's length.
func (f *Fetcher) lied(peer string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.record(peer)
	d := liarBan << min(r.offences, maxLiarDoublings)
	r.bannedUntil, r.offences = f.cfg.Now().Add(d), r.offences+1
	return d
}

// Banned reports whether peer is banned now for serving what did not check.
func (f *Fetcher) Banned(peer string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mu.peers[peer]
	return r != nil && f.cfg.Now().Before(r.bannedUntil)
}
