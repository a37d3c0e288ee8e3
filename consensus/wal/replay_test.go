package wal_test

import (
	"math/big"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/consensus/wal"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

const subnet = types.SubnetID("/waltest")

var genesis = common.HexToHash("0x67656e65736973")

type validators struct {
	keys []*crypto.BLSSecretKey
	vs   *consensus.ValidatorSet
}

func newValidators(t *testing.T) validators {
	var v validators
	var list []consensus.Validator
	for i := 0; i < 4; i++ {
		k, err := crypto.GenerateBLSKey()
		if err != nil {
			t.Fatal(err)
		}
		v.keys = append(v.keys, k)
		list = append(list, consensus.Validator{Address: common.BigToAddress(big.NewInt(int64(i + 1))), BLSPublicKey: k.PublicKey().Bytes(), Power: 1})
	}
	var err error
	if v.vs, err = consensus.NewValidatorSet(list); err != nil {
		t.Fatal(err)
	}
	return v
}

func block(salt byte) *types.Block {
	return &types.Block{Header: &types.Header{SubnetID: subnet, Height: 1, ParentHash: genesis, TimeMs: 1000, StateRoot: common.Hash{salt}, TxRoot: gethtypes.EmptyTxsHash}}
}

// node is one validator driven the way the driver drives it: Persist goes to
// the on-disk WAL and is synced before Send is looked at; proposals are
// judged valid.
type node struct {
	t    *testing.T
	e    *bft.Engine
	w    *wal.WAL
	sent []*bft.Vote
}

func (n *node) drain() {
	for n.e.HasReady() {
		rd := n.e.Ready()
		n.e.Advance()
		if err := n.w.Append(1, rd.Persist); err != nil {
			n.t.Fatal(err)
		}
		for _, m := range rd.Send {
			msg, err := bft.DecodeMessage(m.Payload)
			if err != nil {
				n.t.Fatal(err)
			}
			if v, ok := msg.(*bft.Vote); ok {
				n.sent = append(n.sent, v)
			}
		}
		for _, b := range rd.Verify {
			if err := n.e.Step(consensus.Verdict{Hash: b.Hash(), Valid: true}); err != nil {
				n.t.Fatal(err)
			}
		}
	}
}

func (n *node) deliverProposal(v validators, b *types.Block) {
	p := v.vs.Proposer(1, 0)
	prop := &bft.Proposal{Height: 1, Round: 0, POLRound: -1, Block: b, Validator: uint32(p)}
	bft.SignProposal(v.keys[p], subnet, prop)
	data, err := bft.EncodeMessage(prop)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := n.e.Step(consensus.PeerMessage{From: "proposer", Payload: data}); err != nil {
		n.t.Fatal(err)
	}
	n.drain()
}

func (n *node) prevotes() map[common.Hash]bool {
	out := map[common.Hash]bool{}
	for _, v := range n.sent {
		if v.Type == bft.Prevote && v.Height == 1 && v.Round == 0 {
			out[v.BlockHash] = true
		}
	}
	return out
}

// TestRestartFromWALRefusesConflictingVote: a validator prevotes block A,
// is "killed" (engine gone, WAL file closed without ceremony), and restarts
// from its WAL file. A byzantine proposer then shows it block B for the same
// height and round: it must not prevote B. The same restart without the WAL
// would prevote B, which is what makes this test able to fail.
func TestRestartFromWALRefusesConflictingVote(t *testing.T) {
	v := newValidators(t)
	me := (v.vs.Proposer(1, 0) + 1) % 4
	path := filepath.Join(t.TempDir(), "consensus.wal")
	cfg := bft.Config{Subnet: subnet, Validators: v.vs, Key: v.keys[me],
		Timeouts: bft.Timeouts{Propose: 100, Prevote: 100, Precommit: 100, Delta: 10}, BlockTime: 1}

	start := func(replay bool) *node {
		w, err := wal.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		e, err := bft.New(cfg, 0, genesis)
		if err != nil {
			t.Fatal(err)
		}
		n := &node{t: t, e: e, w: w}
		if replay {
			if err := e.Step(consensus.Replay{Entries: w.Entries(0)}); err != nil {
				t.Fatal(err)
			}
		}
		n.drain()
		return n
	}

	a, b := block(1), block(2)
	first := start(true)
	first.deliverProposal(v, a)
	if !first.prevotes()[a.Hash()] {
		t.Fatalf("validator did not prevote the valid proposal A")
	}
	first.w.Close() // the crash: nothing else is flushed or said

	for _, replay := range []bool{true, false} {
		n := start(replay)
		n.deliverProposal(v, b)
		got := n.prevotes()
		if replay && got[b.Hash()] {
			t.Fatalf("restarted from its WAL, the validator prevoted B after prevoting A at the same height and round")
		}
		if replay && !got[a.Hash()] {
			t.Fatalf("restarted from its WAL, the validator did not re-announce its prevote for A")
		}
		if !replay && !got[b.Hash()] {
			t.Fatalf("control: without the WAL the validator should have prevoted B (otherwise this test proves nothing)")
		}
		n.w.Close()
		if !replay {
			break
		}
	}
}
