package periodcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/witnesssync"
)

// The real re-execution is execution/evm's (its TestPeriodVerifier runs
// this package against a real child and proves the fraud found on the
// parent); these tests drive the period logic with a fake checker.

const kid = types.SubnetID("/devnet/kid")

// chain is a child's blocks in memory; forged heights claim a state root
// the fake checker finds wrong, behind is the first ParentRef height the
// parent's queue cannot answer (0: none).
type chain struct {
	blocks []*types.Block
	forged map[uint64]bool
}

func newChain(n int, forged ...uint64) *chain {
	c := &chain{forged: map[uint64]bool{}}
	for _, h := range forged {
		c.forged[h] = true
	}
	parent := common.Hash{}
	for h := range n + 1 {
		root := common.Hash{1, byte(h), byte(h >> 8)}
		if c.forged[uint64(h)] {
			root = common.Hash{0xf0, 0x7e}
		}
		b := &types.Block{Header: &types.Header{SubnetID: kid, Height: uint64(h), ParentHash: parent, StateRoot: root,
			BaseFee: big.NewInt(1), ParentRef: types.ParentRef{Height: uint64(h)}}}
		c.blocks = append(c.blocks, b)
		parent = b.Hash()
	}
	return c
}

func (c *chain) Final() *types.Header { return c.blocks[len(c.blocks)-1].Header }
func (c *chain) BlockByNumber(h uint64) (*types.Block, error) {
	if h >= uint64(len(c.blocks)) {
		return nil, fmt.Errorf("no block %d", h)
	}
	return c.blocks[h], nil
}
func (c *chain) Witness(hash common.Hash) ([]byte, error) { return hash[:], nil }

// checker is a FraudVerifier whose honest state root of block h is {1, h}.
type checker struct{ reads int }

func (c *checker) CheckTransition(_ *gateway.ChildGenesis, b *types.Block, w []byte, q gateway.TopDownQueue) (error, error) {
	if h := b.Hash(); string(w) != string(h[:]) {
		return nil, errors.New("witness for another block")
	}
	if _, err := q.TopDown(b.Header.ParentRef, 1); err != nil {
		return nil, err
	}
	c.reads++
	if want := (common.Hash{1, byte(b.Height()), byte(b.Height() >> 8)}); b.Header.StateRoot != want {
		return fmt.Errorf("block %d: state root %s, execution gives %s", b.Height(), b.Header.StateRoot, want), nil
	}
	return nil, nil
}

// queue answers reads of parent blocks below behind (0: all).
type queue struct{ behind uint64 }

func (q queue) TopDown(ref types.ParentRef, _ uint64) ([]gateway.TopDownMsg, error) {
	if q.behind > 0 && ref.Height >= q.behind {
		return nil, fmt.Errorf("parent block %d is not final here", ref.Height)
	}
	return nil, nil
}

func period(c *chain, height uint64, periodLen uint32, q queue) Period {
	b := c.blocks[height]
	return Period{
		Child:      &gateway.ChildGenesis{ID: kid, Params: gateway.Params{CheckpointPeriod: periodLen}},
		Checkpoint: &types.Checkpoint{Subnet: string(kid), Height: height, BlockHash: b.Hash(), StateRoot: b.Header.StateRoot},
		Queue:      q,
	}
}

func verifier(c *chain, window int) *Verifier {
	f := witnesssync.NewFetcher(witnesssync.FetcherConfig{Local: func(types.SubnetID) witnesssync.Source { return c }, Log: slog.New(slog.DiscardHandler)})
	return &Verifier{Fetch: f, Checker: &checker{}, Window: window}
}

// TestValidPeriodInWindows: a period longer than a window is judged window
// by window, each linked to the one above, every block re-executed once.
func TestValidPeriodInWindows(t *testing.T) {
	c := newChain(20)
	v := verifier(c, 4)
	got, err := v.Verify(context.Background(), period(c, 20, 10, queue{}))
	if err != nil || !got.Valid || got.Blocks != 10 || v.Checker.(*checker).reads != 10 {
		t.Fatalf("honest period 11..20: %+v, %v (%d re-executions)", got, err, v.Checker.(*checker).reads)
	}
}

// TestForgedBlock: the lowest forged block is the verdict's, with a proof
// whose headers link the checkpoint's block down to it.
func TestForgedBlock(t *testing.T) {
	c := newChain(20, 14, 17)
	got, err := verifier(c, 4).Verify(context.Background(), period(c, 20, 10, queue{}))
	if err != nil || got.Valid || got.BadHeight != 14 || !strings.Contains(got.Reason, "state root") || got.Proof == nil {
		t.Fatalf("period with forged blocks 14 and 17: %+v, %v; want block 14 with a proof", got, err)
	}
	checkProof(t, got.Proof, c.blocks[20].Hash(), 14)
}

func checkProof(t *testing.T, p *FraudProof, top common.Hash, height uint64) {
	t.Helper()
	want := top
	for i, h := range p.Headers {
		if h.Hash() != want {
			t.Fatalf("header %d (height %d) is not the one the block above names", i, h.Height)
		}
		want = h.ParentHash
	}
	if p.Block.Hash() != want || p.Block.Height() != height {
		t.Fatalf("proof block %d does not end the header chain", p.Block.Height())
	}
	if _, _, _, err := p.Args(); err != nil {
		t.Fatal(err)
	}
}

// TestFraudBeyondProofReach: in a period longer than proveFraud's header
// chain, the lowest bad block is reported, and the proof is of the lowest
// one proveFraud reaches.
func TestFraudBeyondProofReach(t *testing.T) {
	c := newChain(300, 10, 200)
	got, err := verifier(c, 0).Verify(context.Background(), period(c, 300, 300, queue{}))
	if err != nil || got.Valid || got.BadHeight != 10 || got.Proof == nil || got.Proof.Block.Height() != 200 {
		t.Fatalf("forged blocks 10 and 200 of 1..300: %+v, %v; want 10 reported, 200 proven", got, err)
	}
	checkProof(t, got.Proof, c.blocks[300].Hash(), 200)
	c = newChain(300, 10)
	got, err = verifier(c, 0).Verify(context.Background(), period(c, 300, 300, queue{}))
	if err != nil || got.Valid || got.Proof != nil || !strings.Contains(got.Reason, "no fraud proof reaches it") {
		t.Fatalf("forged block 10 only: %+v, %v", got, err)
	}
}

// TestCheckpointRootNotItsBlocks: a checkpoint whose StateRoot is not its
// block's is invalid though every block executes.
func TestCheckpointRootNotItsBlocks(t *testing.T) {
	c := newChain(10)
	p := period(c, 10, 5, queue{})
	p.Checkpoint.StateRoot = common.Hash{0xba, 0xd}
	got, err := verifier(c, 0).Verify(context.Background(), p)
	if err != nil || got.Valid || got.Proof != nil || !strings.Contains(got.Reason, "is not its block's") {
		t.Fatalf("checkpoint over a false root: %+v, %v", got, err)
	}
}

// TestParentBehindJudgesNothing: a block the parent's queue cannot answer
// yet gives an error, not a verdict; bad periods are refused.
func TestParentBehindJudgesNothing(t *testing.T) {
	c := newChain(10)
	if got, err := verifier(c, 0).Verify(context.Background(), period(c, 10, 5, queue{behind: 8})); !errors.Is(err, ErrParentBehind) {
		t.Fatalf("parent behind: %+v, %v; want ErrParentBehind", got, err)
	}
	if _, err := verifier(c, 0).Verify(context.Background(), period(c, 9, 5, queue{})); !errors.Is(err, ErrPeriod) {
		t.Fatalf("height 9 with period 5: %v", err)
	}
}
