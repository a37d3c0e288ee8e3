package main

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
)

type proofNodes []hexutil.Bytes

func (n *proofNodes) Put(_, v []byte) error { *n = append(*n, common.CopyBytes(v)); return nil }
func (n *proofNodes) Delete([]byte) error   { return nil }

// accountProof is a snapshot entry for who holding balance wei in a state
// of a few dozen accounts, as eth_getProof answers it.
func accountProof(t *testing.T, who common.Address, balance int64) snapshotProof {
	t.Helper()
	tr := trie.NewEmpty(nil)
	for i := range 40 {
		a, b := common.Address{0x70, byte(i)}, int64(1)
		if i == 7 {
			a, b = who, balance
		}
		enc, _ := rlp.EncodeToBytes(&gethtypes.StateAccount{Balance: uint256.NewInt(uint64(b)), Root: gethtypes.EmptyRootHash, CodeHash: gethtypes.EmptyCodeHash[:]})
		if err := tr.Update(crypto.Keccak256(a[:]), enc); err != nil {
			t.Fatal(err)
		}
	}
	var nodes proofNodes
	if err := tr.Prove(crypto.Keccak256(who[:]), &nodes); err != nil {
		t.Fatal(err)
	}
	return snapshotProof{Height: 20, StateRoot: tr.Hash(), Balance: (*hexutil.Big)(big.NewInt(balance)), AccountProof: nodes}
}

// TestSnapshotProofChecked: a snapshot's proof is checked against its state
// root and its stated balance before anything is sent, and the proof at the
// parent's last checkpoint height is the one taken.
func TestSnapshotProofChecked(t *testing.T) {
	who := common.Address{0xab}
	p := accountProof(t, who, 5000)
	if _, err := p.encoded(who, nil); err != nil {
		t.Fatalf("a good proof: %v", err)
	}
	if _, err := p.encoded(common.Address{0xac}, nil); err == nil {
		t.Fatal("the proof of one account passed for another")
	}
	lie := p
	lie.Balance = (*hexutil.Big)(big.NewInt(9000))
	if _, err := lie.encoded(who, nil); err == nil || !strings.Contains(err.Error(), "not the 9000 given") {
		t.Fatalf("a snapshot stating more than its proof: %v", err)
	}
	other := p
	other.StateRoot = common.Hash{1}
	if _, err := other.encoded(who, nil); err == nil {
		t.Fatal("the proof passed against another root")
	}

	path := filepath.Join(t.TempDir(), "snap.json")
	b, _ := json.Marshal(claimSnapshot{Subnet: "/devnet/games", Account: who, Proofs: []snapshotProof{p}})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := proofFromSnapshot(path, "/devnet/games", who, common.Address{}, 20); err != nil || got.StateRoot != p.StateRoot {
		t.Fatalf("proof at 20: %v", err)
	}
	for want, call := range map[string]func() error{
		"is of /devnet/games, not /devnet/beta": func() error { _, err := proofFromSnapshot(path, "/devnet/beta", who, common.Address{}, 20); return err },
		"give --account": func() error {
			_, err := proofFromSnapshot(path, "/devnet/games", common.Address{1}, common.Address{}, 20)
			return err
		},
		"no proof at height 24": func() error {
			_, err := proofFromSnapshot(path, "/devnet/games", who, common.Address{}, 24)
			return err
		},
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error saying %q", err, want)
		}
	}
}
