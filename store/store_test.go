package store

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

var testKey = testkeys.Account(0)

const testChainID = 7

func signer() gethtypes.Signer { return gethtypes.LatestSignerForChainID(big.NewInt(testChainID)) }

// block makes a block at height on parent with n transactions (every second one a contract creation).
func block(t *testing.T, parent common.Hash, height uint64, n int) *types.Block {
	t.Helper()
	var txs gethtypes.Transactions
	for i := 0; i < n; i++ {
		var to *common.Address
		if i%2 == 0 {
			to = &common.Address{1}
		}
		tx, err := gethtypes.SignNewTx(testKey, signer(), &gethtypes.DynamicFeeTx{
			ChainID: big.NewInt(testChainID), Nonce: height*100 + uint64(i), To: to,
			Gas: 100000, GasFeeCap: big.NewInt(3e9), GasTipCap: big.NewInt(1e9),
		})
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	return &types.Block{Header: &types.Header{
		SubnetID: "/test", Height: height, ParentHash: parent, TimeMs: 1000 * height,
		StateRoot: common.Hash{byte(height), 0xff}, TxRoot: types.TxRoot(txs),
		GasLimit: 30e6, BaseFee: big.NewInt(1e9),
	}, Txs: txs}
}

func receiptsFor(b *types.Block) gethtypes.Receipts {
	var rs gethtypes.Receipts
	for i := range b.Txs {
		rs = append(rs, &gethtypes.Receipt{
			Status: 1, CumulativeGasUsed: uint64(21000 * (i + 1)),
			Logs: []*gethtypes.Log{{Address: common.Address{9}, Topics: []common.Hash{{byte(i)}}, Data: []byte{1}}},
		})
	}
	return rs
}

// stateKey stands in for the trie nodes of a block's state.
func stateKey(b *types.Block) []byte { return b.Header.StateRoot[:] }

func writeBlock(t *testing.T, s *Store, b *types.Block) {
	t.Helper()
	err := s.WriteBlock(&BlockWrite{Block: b, Commit: &types.Commit{Height: b.Height(), BlockHash: b.Hash()}, Receipts: receiptsFor(b)},
		func() error {
			// Reads during the write must see what was written, as the trie database relies on it.
			batch := s.KV().NewBatch()
			if err := batch.Put(stateKey(b), []byte("state")); err != nil {
				return err
			}
			if err := batch.Write(); err != nil {
				return err
			}
			if v, err := s.KV().Get(stateKey(b)); err != nil || string(v) != "state" {
				t.Errorf("pending state write not readable: %q, %v", v, err)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmptyStore(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, ok := s.Head(); ok {
		t.Fatal("empty store has a head")
	}
	if _, err := s.BlockByNumber(0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BlockByNumber on empty store: %v, want ErrNotFound", err)
	}
	if _, found, err := s.TxLookup(common.Hash{1}); found || err != nil {
		t.Fatalf("TxLookup on empty store: %v %v", found, err)
	}
}

func TestWriteAndReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b0 := block(t, common.Hash{}, 0, 0)
	if err := s.WriteBlock(&BlockWrite{Block: b0, Genesis: []byte(`{"g":1}`)}, nil); err != nil {
		t.Fatal(err)
	}
	b1 := block(t, b0.Hash(), 1, 3)
	writeBlock(t, s, b1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hash, height, ok := s.Head()
	if !ok || hash != b1.Hash() || height != 1 {
		t.Fatalf("head after reopen = %s %d %v, want %s 1", hash, height, ok, b1.Hash())
	}
	got, err := s.BlockByNumber(1)
	if err != nil || got.Hash() != b1.Hash() || len(got.Txs) != 3 {
		t.Fatalf("BlockByNumber(1) = %v, %v", got, err)
	}
	if h, err := s.HeaderByNumber(0); err != nil || h.Hash() != b0.Hash() {
		t.Fatalf("HeaderByNumber(0) = %v, %v", h, err)
	}
	if g, err := s.Genesis(); err != nil || string(g) != `{"g":1}` {
		t.Fatalf("Genesis = %q, %v", g, err)
	}
	if c, err := s.Commit(b1.Hash()); err != nil || c.BlockHash != b1.Hash() {
		t.Fatalf("Commit = %v, %v", c, err)
	}
	if v, err := s.KV().Get(stateKey(b1)); err != nil || string(v) != "state" {
		t.Fatalf("state written with the block = %q, %v", v, err)
	}
	for i, tx := range b1.Txs {
		loc, found, err := s.TxLookup(tx.Hash())
		if err != nil || !found || loc != (TxLocation{BlockHash: b1.Hash(), Height: 1, Index: uint64(i)}) {
			t.Fatalf("TxLookup(tx %d) = %+v %v %v", i, loc, found, err)
		}
	}
}

func TestReceiptsDerived(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := block(t, common.Hash{}, 0, 3)
	writeBlock(t, s, b)
	rs, err := s.Receipts(b.Hash(), signer())
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(testKey.PublicKey)
	for i, r := range rs {
		tx := b.Txs[i]
		if r.TxHash != tx.Hash() || r.BlockHash != b.Hash() || r.TransactionIndex != uint(i) || r.GasUsed != 21000 {
			t.Errorf("receipt %d: tx %s block %s index %d gas %d", i, r.TxHash, r.BlockHash, r.TransactionIndex, r.GasUsed)
		}
		if r.Logs[0].Index != uint(i) || r.Logs[0].TxHash != tx.Hash() || r.Logs[0].BlockNumber != 0 {
			t.Errorf("receipt %d: log index %d tx %s", i, r.Logs[0].Index, r.Logs[0].TxHash)
		}
		// 1 gwei tip on a 1 gwei base fee, under the 3 gwei cap.
		if r.EffectiveGasPrice.Cmp(big.NewInt(2e9)) != 0 {
			t.Errorf("receipt %d: effective gas price %s, want 2 gwei", i, r.EffectiveGasPrice)
		}
		wantContract := common.Address{}
		if tx.To() == nil {
			wantContract = crypto.CreateAddress(from, tx.Nonce())
		}
		if r.ContractAddress != wantContract {
			t.Errorf("receipt %d: contract address %s, want %s", i, r.ContractAddress, wantContract)
		}
	}
}

// TestTornWrite simulates a crash in the middle of writing block 2 without
// its head pointer (which one synced batch makes impossible, so this is the
// worst case of a store that wrote in pieces): the store must reopen at
// block 1 with block 1's state intact.
func TestTornWrite(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b0 := block(t, common.Hash{}, 0, 0)
	b1 := block(t, b0.Hash(), 1, 2)
	writeBlock(t, s, b0)
	writeBlock(t, s, b1)

	b2 := block(t, b1.Hash(), 2, 2)
	if err := WriteBlock(s.db, b2); err != nil {
		t.Fatal(err)
	}
	if err := WriteReceipts(s.db, b2.Hash(), receiptsFor(b2)); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Put(stateKey(b2), []byte("half")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hash, height, ok := s.Head()
	if !ok || hash != b1.Hash() || height != 1 {
		t.Fatalf("head after torn write = %s %d, want block 1 %s", hash, height, b1.Hash())
	}
	if v, err := s.KV().Get(stateKey(b1)); err != nil || !bytes.Equal(v, []byte("state")) {
		t.Fatalf("state of head = %q, %v", v, err)
	}
	if _, err := s.BlockByNumber(2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("torn block 2 is canonical: %v", err)
	}
	// The next write of height 2 replaces the leftovers.
	b2b := block(t, b1.Hash(), 2, 1)
	writeBlock(t, s, b2b)
	if got, err := s.BlockByNumber(2); err != nil || got.Hash() != b2b.Hash() {
		t.Fatalf("BlockByNumber(2) after rewrite = %v, %v", got, err)
	}
}

func TestFailedStateWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b0 := block(t, common.Hash{}, 0, 0)
	writeBlock(t, s, b0)
	b1 := block(t, b0.Hash(), 1, 1)
	boom := errors.New("boom")
	err = s.WriteBlock(&BlockWrite{Block: b1, Receipts: receiptsFor(b1)}, func() error {
		if err := s.KV().Put(stateKey(b1), []byte("x")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteBlock error = %v, want boom", err)
	}
	if hash, _, _ := s.Head(); hash != b0.Hash() {
		t.Fatal("head moved after a failed write")
	}
	if ok, _ := s.KV().Has(stateKey(b1)); ok {
		t.Fatal("state of a failed write reached the database")
	}
	if _, err := s.BlockByHash(b1.Hash()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("block of a failed write stored: %v", err)
	}
}

// TestSignedCheckpointsSurviveReopen: what a key signed is still known after
// a restart, so the relayer never signs a different checkpoint there.
func TestSignedCheckpointsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []uint64{10, 20, 30} {
		if err := s.PutSignedCheckpoint(h, common.BigToHash(new(big.Int).SetUint64(h))); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs, hashes, err := s.SignedCheckpoints(10)
	if err != nil || len(hs) != 2 || hs[0] != 20 || hs[1] != 30 || hashes[1] != common.BigToHash(big.NewInt(30)) {
		t.Fatalf("signed above 10: %v %v %v", hs, hashes, err)
	}
}
