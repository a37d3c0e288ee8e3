package mempool

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

func TestValidationErrors(t *testing.T) {
	const (
		keyPoor  = 50 // holds 21000*100 wei: one cheap transfer, no value
		keyNonce = 51 // state nonce 5
	)
	poor := testKey(keyPoor)
	k := testKey(0)
	withNonce := testKey(keyNonce)

	tests := []struct {
		name  string
		setup func(t *testing.T, p *Pool) // optional, runs first
		tx    func(t *testing.T) *types.Transaction
		want  error
		msg   string // exact go-ethereum message the error starts with
	}{
		{
			name: "nonce too low",
			tx:   func(t *testing.T) *types.Transaction { return dyn(t, withNonce, 4, 200, 10) },
			want: ErrNonceTooLow, msg: "nonce too low",
		},
		{
			name: "nonce too far ahead",
			tx:   func(t *testing.T) *types.Transaction { return dyn(t, withNonce, 5+64+1, 200, 10) },
			want: ErrNonceTooHigh, msg: "nonce too high",
		},
		{
			name: "insufficient funds",
			tx: func(t *testing.T) *types.Transaction {
				return dyn(t, poor, 0, 200, 10) // 21000*200 + 1 > 21000*100
			},
			want: ErrInsufficientFunds, msg: "insufficient funds for gas * price + value",
		},
		{
			name: "insufficient funds counting queued",
			setup: func(t *testing.T, p *Pool) {
				tx := signTx(t, poor, testChainID, &types.DynamicFeeTx{ChainID: testChainID, Nonce: 0,
					GasFeeCap: big.NewInt(100), GasTipCap: big.NewInt(3), Gas: 21000, To: &recipient})
				if err := p.Add(tx); err != nil {
					t.Fatal(err)
				}
			},
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, poor, testChainID, &types.DynamicFeeTx{ChainID: testChainID, Nonce: 1,
					GasFeeCap: big.NewInt(100), GasTipCap: big.NewInt(3), Gas: 21000, To: &recipient})
			},
			want: ErrInsufficientFunds, msg: "insufficient funds for gas * price + value",
		},
		{
			name:  "replacement underpriced",
			setup: func(t *testing.T, p *Pool) { mustAdd(t, p, dyn(t, k, 0, 200, 10)) },
			tx:    func(t *testing.T) *types.Transaction { return dyn(t, k, 0, 210, 10) },
			want:  ErrReplaceUnderpriced, msg: "replacement transaction underpriced",
		},
		{
			name:  "already known",
			setup: func(t *testing.T, p *Pool) { mustAdd(t, p, dyn(t, k, 0, 200, 10)) },
			tx:    func(t *testing.T) *types.Transaction { return dyn(t, k, 0, 200, 10) },
			want:  ErrAlreadyKnown, msg: "already known",
		},
		{
			name: "invalid chain id",
			tx: func(t *testing.T) *types.Transaction {
				other := big.NewInt(4243)
				return signTx(t, k, other, &types.DynamicFeeTx{ChainID: other, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: 21000, To: &recipient})
			},
			want: ErrInvalidChainID, msg: "invalid chain id",
		},
		{
			name: "invalid chain id, legacy",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, big.NewInt(1), &types.LegacyTx{GasPrice: big.NewInt(200), Gas: 21000, To: &recipient})
			},
			want: ErrInvalidChainID, msg: "invalid chain id",
		},
		{
			name: "unprotected legacy",
			tx: func(t *testing.T) *types.Transaction {
				tx, err := types.SignNewTx(k, types.HomesteadSigner{}, &types.LegacyTx{GasPrice: big.NewInt(200), Gas: 21000, To: &recipient})
				if err != nil {
					t.Fatal(err)
				}
				return tx
			},
			want: ErrUnprotectedTx, msg: "only replay-protected (EIP-155) transactions allowed",
		},
		{
			name: "invalid sender",
			tx: func(t *testing.T) *types.Transaction {
				unsigned := types.NewTx(&types.DynamicFeeTx{ChainID: testChainID, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: 21000, To: &recipient})
				sig := make([]byte, 65) // r = s = 0
				tx, err := unsigned.WithSignature(types.LatestSignerForChainID(testChainID), sig)
				if err != nil {
					t.Fatal(err)
				}
				return tx
			},
			want: ErrInvalidSender, msg: "invalid sender",
		},
		{
			name: "intrinsic gas too low",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: 20999, To: &recipient})
			},
			want: ErrIntrinsicGas, msg: "intrinsic gas too low",
		},
		{
			name: "floor data gas",
			tx: func(t *testing.T) *types.Transaction {
				// 1000 non-zero bytes: intrinsic 37000, floor 61000.
				return signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: 40000, To: &recipient, Data: bytes.Repeat([]byte{1}, 1000)})
			},
			want: ErrFloorDataGas, msg: "insufficient gas for floor data gas cost",
		},
		{
			name: "exceeds block gas limit",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: testGasLimit + 1, To: &recipient})
			},
			want: ErrGasLimit, msg: "exceeds block gas limit",
		},
		{
			name: "oversized data",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: 10_000_000, To: &recipient, Data: make([]byte, MaxTxSize)})
			},
			want: ErrOversizedData, msg: "oversized data",
		},
		{
			name: "max initcode size",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, GasFeeCap: big.NewInt(200),
					GasTipCap: big.NewInt(10), Gas: 10_000_000, Data: make([]byte, 49153)})
			},
			want: ErrMaxInitCodeSizeExceeded, msg: "max initcode size exceeded",
		},
		{
			name: "fee cap below base fee",
			tx:   func(t *testing.T) *types.Transaction { return dyn(t, k, 0, 99, 10) },
			want: ErrFeeCapTooLow, msg: "max fee per gas less than block base fee",
		},
		{
			name: "tip above fee cap",
			tx:   func(t *testing.T) *types.Transaction { return dyn(t, k, 0, 200, 201) },
			want: ErrTipAboveFeeCap, msg: "max priority fee per gas higher than max fee per gas",
		},
		{
			name: "tip below minimum",
			tx:   func(t *testing.T) *types.Transaction { return dyn(t, k, 0, 200, 2) }, // MinTip 3
			want: ErrTxGasPriceTooLow, msg: "transaction gas price below minimum",
		},
		{
			name: "nonce max",
			tx:   func(t *testing.T) *types.Transaction { return dyn(t, k, math.MaxUint64, 200, 10) },
			want: ErrNonceMax, msg: "nonce has max value",
		},
		{
			name: "blob transaction",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, testChainID, &types.BlobTx{ChainID: uint256.MustFromBig(testChainID),
					GasFeeCap: uint256.NewInt(200), GasTipCap: uint256.NewInt(10), Gas: 21000, To: recipient,
					BlobFeeCap: uint256.NewInt(1), BlobHashes: []common.Hash{{0x01}}})
			},
			want: ErrTxTypeNotSupported, msg: "transaction type not supported",
		},
		{
			name: "set code without authorizations",
			tx: func(t *testing.T) *types.Transaction {
				return signTx(t, k, testChainID, &types.SetCodeTx{ChainID: uint256.MustFromBig(testChainID),
					GasFeeCap: uint256.NewInt(200), GasTipCap: uint256.NewInt(10), Gas: 21000, To: recipient})
			},
			want: ErrEmptyAuthList, msg: "EIP-7702 transaction with empty auth list",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MinTip = big.NewInt(3)
			p, st := newTestPool(t, cfg, 1)
			st.set(addrOf(poor), 0, big.NewInt(21000*100))
			st.set(addrOf(withNonce), 5, rich)
			if tc.setup != nil {
				tc.setup(t, p)
			}
			pending, queued := p.Stats()
			err := p.Add(tc.tx(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Fatalf("message %q does not start with %q", err, tc.msg)
			}
			if p2, q2 := p.Stats(); p2 != pending || q2 != queued {
				t.Fatalf("rejected tx changed the pool: %d/%d -> %d/%d", pending, queued, p2, q2)
			}
			checkInvariants(t, p)
		})
	}
}

// TestValidKinds accepts one of each supported transaction kind, so the error
// table above is not passing because everything is rejected.
func TestValidKinds(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 1)
	k := testKey(0)
	auth, err := types.SignSetCode(testKey(9), types.SetCodeAuthorization{ChainID: *uint256.MustFromBig(testChainID), Address: recipient})
	if err != nil {
		t.Fatal(err)
	}
	txs := []*types.Transaction{
		signTx(t, k, testChainID, &types.LegacyTx{Nonce: 0, GasPrice: big.NewInt(200), Gas: 21000, To: &recipient}),
		signTx(t, k, testChainID, &types.AccessListTx{ChainID: testChainID, Nonce: 1, GasPrice: big.NewInt(200), Gas: 30000, To: &recipient,
			AccessList: types.AccessList{{Address: recipient, StorageKeys: []common.Hash{{1}}}}}),
		dyn(t, k, 2, 200, 10),
		signTx(t, k, testChainID, &types.SetCodeTx{ChainID: uint256.MustFromBig(testChainID), Nonce: 3,
			GasFeeCap: uint256.NewInt(200), GasTipCap: uint256.NewInt(10), Gas: 46000, To: recipient,
			AuthList: []types.SetCodeAuthorization{auth}}),
		signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, Nonce: 4, GasFeeCap: big.NewInt(200),
			GasTipCap: big.NewInt(10), Gas: 600_000, Data: make([]byte, 49152)}), // max-size init code: floor 512520 gas
	}
	for i, err := range p.AddBatch(txs) {
		if err != nil {
			t.Fatalf("tx %d (type %d): %v", i, txs[i].Type(), err)
		}
	}
	if pending, _ := p.Stats(); pending != len(txs) {
		t.Fatalf("pending %d, want %d", pending, len(txs))
	}
}

func TestIntrinsicGas(t *testing.T) {
	k := testKey(0)
	auth := types.SetCodeAuthorization{}
	tests := []struct {
		name  string
		data  types.TxData
		gas   uint64
		floor uint64
	}{
		{"transfer", &types.DynamicFeeTx{To: &recipient}, 21000, 21000},
		{"calldata 0x0001", &types.DynamicFeeTx{To: &recipient, Data: []byte{0, 1}}, 21000 + 4 + 16, 21000 + 10*(1+4)},
		{"create 33 bytes", &types.DynamicFeeTx{Data: bytes.Repeat([]byte{1}, 33)}, 53000 + 33*16 + 2*2, 21000 + 10*33*4},
		{"access list", &types.AccessListTx{To: &recipient, AccessList: types.AccessList{
			{Address: recipient, StorageKeys: []common.Hash{{1}, {2}}}, {Address: common.Address{1}}}}, 21000 + 2*2400 + 2*1900, 21000},
		{"authorizations", &types.SetCodeTx{AuthList: []types.SetCodeAuthorization{auth, auth}}, 21000 + 2*25000, 21000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := signTx(t, k, testChainID, tc.data)
			if got := IntrinsicGas(tx); got != tc.gas {
				t.Errorf("IntrinsicGas = %d, want %d", got, tc.gas)
			}
			if got := FloorDataGas(tx.Data()); got != tc.floor {
				t.Errorf("FloorDataGas = %d, want %d", got, tc.floor)
			}
		})
	}
}

func TestSenderCached(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 1)
	k := testKey(0)
	tx := dyn(t, k, 0, 200, 10)
	// A fresh decode has no cached sender, like a transaction off the wire.
	raw, _ := tx.MarshalBinary()
	fresh := new(types.Transaction)
	if err := fresh.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, p, fresh)
	// The pool recovered with LatestSignerForChainID, so later callers using
	// an equal signer get the cached sender.
	got, err := types.Sender(types.LatestSignerForChainID(testChainID), fresh)
	if err != nil || got != crypto.PubkeyToAddress(k.PublicKey) {
		t.Fatalf("sender %v, %v", got, err)
	}
	if got, _ := p.Sender(fresh); got != addrOf(k) {
		t.Fatalf("pool sender %v", got)
	}
}

func mustAdd(t testing.TB, p *Pool, txs ...*types.Transaction) {
	t.Helper()
	for i, err := range p.AddBatch(txs) {
		if err != nil {
			t.Fatalf("tx %d (nonce %d): %v", i, txs[i].Nonce(), err)
		}
	}
}
