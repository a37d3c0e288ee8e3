package types

import (
	"errors"
	"math/big"
	"testing"

	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

// TestCheckBody: a body is checked against what its header commits to,
// evidence first, then each check in order (nil skipped); every failure
// wraps ErrBadBody and keeps the check's own error.
func TestCheckBody(t *testing.T) {
	tx := gethtypes.NewTx(&gethtypes.LegacyTx{Nonce: 1, Gas: 21000, GasPrice: big.NewInt(1)})
	txs := gethtypes.Transactions{tx}
	ev := [][]byte{{0xc1, 0x01}}
	h := &Header{Height: 3, TxRoot: TxRoot(txs), EvidenceHash: EvidenceHash(ev)}
	good := &Block{Header: h, Txs: txs, Evidence: ev}
	if err := CheckBody(good, nil, CheckTxRoot); err != nil {
		t.Fatalf("genuine body: %v", err)
	}
	for name, b := range map[string]*Block{
		"evidence dropped":      {Header: h, Txs: txs},
		"evidence swapped":      {Header: h, Txs: txs, Evidence: [][]byte{{0xc1, 0x02}}},
		"transactions stripped": {Header: h, Evidence: ev},
	} {
		if err := CheckBody(b, CheckTxRoot); !errors.Is(err, ErrBadBody) {
			t.Fatalf("%s: %v, want ErrBadBody", name, err)
		}
	}
	// Without CheckTxRoot the transactions are not looked at.
	if err := CheckBody(&Block{Header: h, Evidence: ev}); err != nil {
		t.Fatalf("no checks, transactions stripped: %v", err)
	}
	first, second := errors.New("first"), errors.New("second")
	var ran []error
	check := func(e error) func(*Block) error {
		return func(*Block) error { ran = append(ran, e); return e }
	}
	err := CheckBody(good, check(nil), check(first), check(second))
	if !errors.Is(err, ErrBadBody) || !errors.Is(err, first) || errors.Is(err, second) || len(ran) != 2 {
		t.Fatalf("checks in order, stopping at the first failure: %v after %d checks", err, len(ran))
	}
	ran = nil
	if err := CheckBody(&Block{Header: h, Txs: txs}, check(first)); !errors.Is(err, ErrBadBody) || errors.Is(err, first) || len(ran) != 0 {
		t.Fatalf("evidence is checked before the checks: %v after %d checks", err, len(ran))
	}
}
