package bft

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// withBody is b with the same header (so the same hash and the proposer's
// signature still verifies) and another body.
func withBody(b *types.Block, txs gethtypes.Transactions, evidence [][]byte) *types.Block {
	return &types.Block{Header: b.Header, Txs: txs, Evidence: evidence}
}

// txRootCheck is an EVM application's body check, as the node configures it.
func txRootCheck(b *types.Block) error {
	if root := types.TxRoot(b.Txs); root != b.Header.TxRoot {
		return fmt.Errorf("tx root %x, header says %x", root[:4], b.Header.TxRoot[:4])
	}
	return nil
}

// TestSwappedBodyDoesNotPoisonProposal is issue 19, defect 1: a relay that
// re-gossips an honest proposal with another body (the proposer signs only
// the header) must not make the node prevote nil on the honest block. The
// swapped copy is refused on receipt with ErrBadBody, whichever arrives
// first, and the genuine copy is then judged and prevoted.
func TestSwappedBodyDoesNotPoisonProposal(t *testing.T) {
	tx := gethtypes.NewTx(&gethtypes.LegacyTx{Nonce: 7, Gas: 21000, GasPrice: big.NewInt(1)})
	ev := [][]byte{EncodeEvidence(doubleVote(t, 3, 1, 0))}
	for _, tc := range []struct {
		name  string
		check func(*types.Block) error
		// genuine and swapped bodies
		txs, swappedTxs           gethtypes.Transactions
		evidence, swappedEvidence [][]byte
	}{
		{name: "evidence added", evidence: nil, swappedEvidence: ev},
		{name: "evidence stripped", evidence: ev, swappedEvidence: nil},
		{name: "transaction added", check: txRootCheck, swappedTxs: gethtypes.Transactions{tx}},
		{name: "transaction stripped", check: txRootCheck, txs: gethtypes.Transactions{tx}},
	} {
		for _, swappedFirst := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/swapped first %v", tc.name, swappedFirst), func(t *testing.T) {
				s := newScript(t)
				cfg := testConfig(s.vs, s.keys[s.me])
				cfg.CheckBody = tc.check
				e, err := New(cfg, 0, testGenesis)
				if err != nil {
					t.Fatal(err)
				}
				s.e = e
				// The application finds a block valid exactly when its body
				// matches the header, as the EVM executor does.
				s.verdict = func(b *types.Block) bool {
					return txRootCheck(b) == nil && types.EvidenceHash(b.Evidence) == b.Header.EvidenceHash
				}
				b := testBlock(1, testGenesis, 1)
				b.Txs, b.Evidence = tc.txs, tc.evidence
				b.Header.TxRoot, b.Header.EvidenceHash = types.TxRoot(b.Txs), types.EvidenceHash(b.Evidence)
				swapped := withBody(b, tc.swappedTxs, tc.swappedEvidence)
				p := s.vs.Proposer(1, 0)
				genuineMsg := signedProposal(s.keys[p], p, 0, -1, b)
				swappedMsg := signedProposal(s.keys[p], p, 0, -1, swapped)
				if _, err := CheckGossip(s.vs, testSubnet, swappedMsg, tc.check); !errors.Is(err, ErrBadBody) {
					t.Fatalf("gossip check of the swapped copy: %v, want ErrBadBody", err)
				}
				if _, err := CheckGossip(s.vs, testSubnet, genuineMsg, tc.check); err != nil {
					t.Fatalf("gossip check of the genuine copy: %v", err)
				}
				if !swappedFirst {
					s.mustDeliver(genuineMsg)
				}
				if err := s.deliver(swappedMsg); !errors.Is(err, ErrBadBody) {
					t.Fatalf("swapped copy: %v, want ErrBadBody", err)
				}
				if swappedFirst {
					s.wantNoVote(Prevote, 0)
					s.mustDeliver(genuineMsg)
				}
				s.wantVote(Prevote, 0, b.Hash())
				for _, v := range s.verify {
					if v != b && !s.verdict(v) {
						t.Fatal("the swapped body was sent for verification")
					}
				}
			})
		}
	}
}

// TestSwappedBodyChangesNothing: refusing a swapped body leaves the engine
// exactly as if the message never arrived (nothing stored, no Ready).
func TestSwappedBodyChangesNothing(t *testing.T) {
	s := newScript(t)
	b := testBlock(1, testGenesis, 1)
	p := s.vs.Proposer(1, 0)
	err := s.e.Step(consensus.PeerMessage{From: "evil", Payload: signedProposal(s.keys[p], p, 0, -1, withBody(b, nil, [][]byte{{0xc0}}))})
	if !errors.Is(err, ErrBadBody) {
		t.Fatalf("got %v, want ErrBadBody", err)
	}
	if s.e.HasReady() || len(s.e.blocks) != 0 || s.e.rounds[0].proposal != nil || s.e.rounds[0].senderPower != 0 {
		t.Fatal("a swapped body changed the engine")
	}
}

// doubleVote is a valid equivocation of test validator v: two prevotes at
// (height, round) for different blocks.
func doubleVote(t testing.TB, v int, height uint64, round uint32) Evidence {
	k := testKey(t, v)
	a := Vote{Type: Prevote, Height: height, Round: round, BlockHash: common.HexToHash("0x0a"), Validator: uint32(v)}
	b := a
	b.BlockHash = common.HexToHash("0x0b")
	SignVote(k, testSubnet, &a)
	SignVote(k, testSubnet, &b)
	return newEvidence(a, b)
}
