package node

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// FuzzDecodeTxBatch decodes a transaction-topic gossip message as the topic
// validator does. What it accepts holds 1..txBatchMax transactions and is
// canonical: the transactions re-encode to the batch's bytes, so a relayed
// batch is the batch that was judged. `make fuzz` runs it (tools/fuzz).
func FuzzDecodeTxBatch(f *testing.F) {
	key, err := crypto.ToECDSA(bytes.Repeat([]byte{0x22}, 32))
	if err != nil {
		f.Fatal(err)
	}
	signer := gethtypes.LatestSignerForChainID(big.NewInt(1337))
	to := common.Address{0xbe, 0xef}
	var raws [][]byte
	for i, inner := range []gethtypes.TxData{
		&gethtypes.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: 1, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(3e9), Gas: 21000, To: &to, Value: big.NewInt(1)},
		&gethtypes.LegacyTx{Nonce: 2, GasPrice: big.NewInt(1e9), Gas: 21000, To: &to},
		&gethtypes.AccessListTx{ChainID: big.NewInt(1337), Nonce: 3, GasPrice: big.NewInt(1e9), Gas: 50000, Data: []byte{0x60}},
	} {
		raw, err := gethtypes.MustSignNewTx(key, signer, inner).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		raws = append(raws, raw)
		enc, err := rlp.EncodeToBytes(raws[:i+1])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		txs, err := decodeTxBatch(data)
		if err != nil {
			return
		}
		if len(txs) == 0 || len(txs) > txBatchMax {
			t.Fatalf("accepted a batch of %d transactions", len(txs))
		}
		again := make([][]byte, len(txs))
		for i, tx := range txs {
			if again[i], err = tx.MarshalBinary(); err != nil {
				t.Fatalf("transaction %d decoded but does not encode: %v", i, err)
			}
		}
		enc, err := rlp.EncodeToBytes(again)
		if err != nil || !bytes.Equal(enc, data) {
			t.Fatalf("batch %x decodes but re-encodes as %x (%v)", data, enc, err)
		}
	})
}
