package periodcheck

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/witnesssync"
)

var (
	// ErrPeriod reports a Period that cannot be judged as given.
	ErrPeriod = errors.New("periodcheck: bad period")
	// ErrParentBehind wraps a re-execution the parent chain could not
	// answer (a block refers to a parent block not final here yet): nothing
	// is judged, ask again later.
	ErrParentBehind = errors.New("periodcheck: the parent chain cannot answer the child's top-down reads yet")
)

// Fetcher is what Verify needs of witnesssync.Fetcher.
type Fetcher interface {
	FetchPeriod(ctx context.Context, subnet types.SubnetID, from, to uint64, want common.Hash, check witnesssync.Check) ([]witnesssync.Item, error)
}

var _ Fetcher = (*witnesssync.Fetcher)(nil)

// Period is one checkpoint of a child committed on its parent, and what
// judging it needs from the parent chain.
type Period struct {
	// Child is the child as the parent's gateway records it
	// (gateway.ReadChildGenesis): its ID and checkpoint period.
	Child *gateway.ChildGenesis
	// Checkpoint is the committed checkpoint: its period is the blocks
	// after Height - checkpointPeriod up to Height, the last hashing to
	// BlockHash with state root StateRoot.
	Checkpoint *types.Checkpoint
	// Queue is the parent's top-down queue to the child, as of any final
	// parent block (node: the parent runtime's gateway state at the
	// block's ParentRef).
	Queue gateway.TopDownQueue
}

// Verifier judges periods. Its fields are set once; Verify may run
// concurrently for different periods.
type Verifier struct {
	Fetch Fetcher
	// Checker re-executes one child block: the parent chain's own
	// FraudVerifier, so a verdict is what proveFraud would find.
	Checker gateway.FraudVerifier
	// Window is how many blocks one fetch holds (default and at most
	// witnesssync.MaxPeriodBlocks); a longer period is judged window by
	// window from the checkpoint's block down, each linked to the one above.
	Window int
}

// Verdict is the judgement of one period.
type Verdict struct {
	Valid  bool
	Blocks int // blocks re-executed
	Bytes  int // bytes of blocks and witnesses fetched
	// Invalid only: the lowest block that does not execute to its header
	// (0 when every block does but the checkpoint's StateRoot is not its
	// block's), and why.
	BadHeight uint64
	Reason    string
	// Proof proves the lowest bad block that proveFraud can reach (at
	// most gateway.MaxFraudHeaders below the checkpoint's block); nil
	// when none can (then Reason says why).
	Proof *FraudProof
}

// FraudProof is proveFraud's material but the checkpoint reference, whose
// signer bitmap only the submitting transaction holds.
type FraudProof struct {
	// Headers run from the checkpoint's block down to the one above Block.
	Headers []*types.Header
	Block   *types.Block
	Witness []byte
}

// Args encodes p as proveFraud's headers, block and witness arguments;
// with gateway.EncodeFraudRef's checkpoint argument they make the call.
func (p *FraudProof) Args() (headers, block, witness []byte, err error) {
	if len(p.Headers) > 0 {
		if headers, err = rlp.EncodeToBytes(p.Headers); err != nil {
			return nil, nil, nil, err
		}
	}
	if block, err = types.EncodeBlock(p.Block); err != nil {
		return nil, nil, nil, err
	}
	return headers, block, p.Witness, nil
}

// fault is one block that does not execute to its header.
type fault struct {
	item   witnesssync.Item
	reason string
}

// Verify fetches and re-executes p's period. An error means nothing was
// judged (no source served the period in a form that checks, the parent
// chain is behind, ctx ended); a Verdict is final for p.
func (v *Verifier) Verify(ctx context.Context, p Period) (*Verdict, error) {
	cp := p.Checkpoint
	switch {
	case p.Child == nil || cp == nil || p.Queue == nil || v.Fetch == nil || v.Checker == nil:
		return nil, fmt.Errorf("%w: child, checkpoint, queue, fetcher and checker are all required", ErrPeriod)
	case cp.Subnet != string(p.Child.ID):
		return nil, fmt.Errorf("%w: checkpoint of %q for child %s", ErrPeriod, cp.Subnet, p.Child.ID)
	case p.Child.Params.CheckpointPeriod == 0 || cp.Height == 0 || cp.Height%uint64(p.Child.Params.CheckpointPeriod) != 0:
		return nil, fmt.Errorf("%w: height %d is not a checkpoint height of %s (period %d)", ErrPeriod, cp.Height, p.Child.ID, p.Child.Params.CheckpointPeriod)
	}
	window := uint64(v.Window)
	if window == 0 || window > witnesssync.MaxPeriodBlocks {
		window = witnesssync.MaxPeriodBlocks
	}
	after := cp.Height - uint64(p.Child.Params.CheckpointPeriod)
	verdict := &Verdict{Valid: true}
	var (
		above   []*types.Header // the checkpoint's block's header and those below it, while proveFraud reaches
		lowest  *fault
		proven  *fault
		want    = cp.BlockHash
		checker = &blockChecker{child: p.Child, fv: v.Checker, queue: p.Queue}
	)
	for hi := cp.Height; hi > after; {
		lo := max(after+1, hi-min(hi, window)+1)
		checker.reset()
		items, err := v.Fetch.FetchPeriod(ctx, p.Child.ID, lo, hi, want, checker.check)
		if err != nil {
			return nil, fmt.Errorf("periodcheck: blocks %d..%d of %s: %w", lo, hi, p.Child.ID, err)
		}
		if hi == cp.Height {
			if root := items[len(items)-1].Block.Header.StateRoot; root != cp.StateRoot {
				verdict.Valid = false
				verdict.Reason = fmt.Sprintf("the checkpoint's state root %s is not its block's %s (no fraud proof covers it)", cp.StateRoot, root)
			}
		}
		for i := len(items) - 1; i >= 0; i-- {
			it := items[i]
			verdict.Blocks++
			verdict.Bytes += it.Size()
			if f := checker.faults[it.Block.Height()]; f != nil {
				lowest = f
				if cp.Height-it.Block.Height() <= gateway.MaxFraudHeaders {
					proven = f
				}
			}
			if cp.Height-it.Block.Height() < gateway.MaxFraudHeaders {
				above = append(above, it.Block.Header)
			}
		}
		want, hi = items[0].Block.Header.ParentHash, lo-1
	}
	if lowest == nil {
		return verdict, nil
	}
	verdict.Valid, verdict.BadHeight, verdict.Reason = false, lowest.item.Block.Height(), lowest.reason
	if proven == nil {
		verdict.Reason += fmt.Sprintf("; no fraud proof reaches it: it is more than %d blocks below the checkpoint's", gateway.MaxFraudHeaders)
		return verdict, nil
	}
	n := cp.Height - proven.item.Block.Height()
	verdict.Proof = &FraudProof{Headers: above[:n], Block: proven.item.Block, Witness: proven.item.Witness}
	return verdict, nil
}

// blockChecker is the fetch's Check: it re-executes each block and records
// the ones that do not execute to their headers.
type blockChecker struct {
	child  *gateway.ChildGenesis
	fv     gateway.FraudVerifier
	queue  gateway.TopDownQueue
	faults map[uint64]*fault // of the window being fetched, from the source being tried
}

func (c *blockChecker) reset() { c.faults = map[uint64]*fault{} }

func (c *blockChecker) check(it witnesssync.Item) error {
	h := it.Block.Height()
	delete(c.faults, h) // another source's answer for the same block
	q := &watchedQueue{q: c.queue}
	f, err := c.fv.CheckTransition(c.child, it.Block, it.Witness, q)
	switch {
	case q.err != nil:
		return fmt.Errorf("%w: block %d: %w", ErrParentBehind, h, q.err)
	case err != nil:
		return fmt.Errorf("%w: %w", witnesssync.ErrBadItem, err)
	case f != nil:
		c.faults[h] = &fault{item: it, reason: f.Error()}
	}
	return nil
}

// watchedQueue remembers whether the parent's queue failed to answer: the
// re-execution's error is then this node's, not the witness's source's.
type watchedQueue struct {
	q   gateway.TopDownQueue
	err error
}

func (w *watchedQueue) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	msgs, err := w.q.TopDown(ref, from)
	if err != nil && w.err == nil {
		w.err = err
	}
	return msgs, err
}
