package types

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Fuzz targets for every RLP type that arrives from peers. Each checks the
// decoder accepts only canonical bytes: what decodes re-encodes to exactly
// the input, so one value has one encoding and one hash. `make fuzz` runs
// them (tools/fuzz); without -fuzz, go test runs the seeds.

func fuzzTxs(tb testing.TB) gethtypes.Transactions {
	key, err := crypto.ToECDSA(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	signer := gethtypes.LatestSignerForChainID(big.NewInt(1337))
	to := common.Address{0xbe, 0xef}
	dyn := gethtypes.MustSignNewTx(key, signer, &gethtypes.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: 3, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(3e9), Gas: 60000, To: &to, Value: big.NewInt(5), Data: []byte{1, 2, 3},
		AccessList: gethtypes.AccessList{{Address: to, StorageKeys: []common.Hash{{1}}}},
	})
	legacy := gethtypes.MustSignNewTx(key, signer, &gethtypes.LegacyTx{Nonce: 4, GasPrice: big.NewInt(2e9), Gas: 21000, To: &to, Value: big.NewInt(1)})
	create := gethtypes.MustSignNewTx(key, signer, &gethtypes.AccessListTx{ChainID: big.NewInt(1337), Nonce: 5, GasPrice: big.NewInt(2e9), Gas: 100000, Data: []byte{0x60, 0x00}})
	return gethtypes.Transactions{dyn, legacy, create}
}

func fuzzHeader() *Header {
	return &Header{
		SubnetID: "/devnet/games", Height: 42, ParentHash: common.Hash{1}, TimeMs: 1_700_000_000_123, Proposer: common.Address{2},
		StateRoot: common.Hash{3}, TxRoot: common.Hash{4}, ReceiptRoot: common.Hash{5}, GasLimit: 30_000_000, GasUsed: 21000,
		BaseFee: big.NewInt(1e9), ParentRef: ParentRef{Height: 7, Hash: common.Hash{6}}, EvidenceHash: common.Hash{7}, Seal: []byte{8, 9},
	}
}

func fuzzCrossMsg() CrossMsg {
	return CrossMsg{ID: MsgID("/devnet", 1), SrcSubnet: "/devnet", SrcNonce: 1, From: common.Address{1}, DstSubnet: "/devnet/games",
		To: common.Address{2}, Value: big.NewInt(1e18), Data: []byte{0xca, 0xfe}, Kind: KindCall, Ref: common.Hash{9}}
}

func mustEnc(tb testing.TB, v any) []byte {
	enc, err := rlp.EncodeToBytes(v)
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

// canonical fails t unless data, which decoded, is what encoding the
// decoded value gives back.
func canonical(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	enc, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatalf("%s decoded but does not encode: %v", what, err)
	}
	if !bytes.Equal(enc, data) {
		t.Fatalf("%s: %x decodes, but re-encodes as %x: two encodings of one value", what, data, enc)
	}
}

func FuzzDecodeBlock(f *testing.F) {
	h := fuzzHeader()
	h.NextValidators = []Validator{{Address: common.Address{1}, BLSPublicKey: bytes.Repeat([]byte{0xaa}, 48), Power: 10}}
	for _, b := range []*Block{
		{Header: fuzzHeader()},
		{Header: h, Txs: fuzzTxs(f)},
		{Header: fuzzHeader(), Txs: fuzzTxs(f)[:1], Evidence: [][]byte{{1, 2, 3}, {4}}},
	} {
		enc, err := EncodeBlock(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBlock(data)
		if err != nil {
			return
		}
		_ = b.Hash()
		canonical(t, "block", data, b)
		if b.Size() != uint64(len(data)) {
			t.Fatalf("block of %d bytes reports size %d", len(data), b.Size())
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	h := fuzzHeader()
	f.Add(mustEnc(f, h))
	h.NextValidators = []Validator{{Address: common.Address{1}, BLSPublicKey: bytes.Repeat([]byte{0xaa}, 48), Power: 10}}
	f.Add(mustEnc(f, h))
	f.Add(mustEnc(f, &Header{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := new(Header)
		if rlp.DecodeBytes(data, h) != nil {
			return
		}
		canonical(t, "header", data, h)
		// The hash covers everything but the seal: a copy hashes the same.
		if h.Copy().Hash() != h.Hash() {
			t.Fatalf("a header's copy hashes differently")
		}
	})
}

func FuzzDecodeCommit(f *testing.F) {
	c := &Commit{Height: 9, Round: 1, BlockHash: common.Hash{1}, Signature: bytes.Repeat([]byte{0xb0}, 96)}
	c.SetSigner(0)
	c.SetSigner(9)
	enc, err := EncodeCommit(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommit(data)
		if err != nil {
			return
		}
		canonical(t, "commit", data, c)
		for i := range 8*len(c.Signers) + 8 {
			_ = c.HasSigner(i)
		}
	})
}

// FuzzDecodeCheckpoint is in checkpoint_test.go.

func FuzzDecodeCheckpointSignature(f *testing.F) {
	enc, err := EncodeCheckpointSignature(&CheckpointSignature{Subnet: "/devnet/games", Height: 10, Hash: common.Hash{1}, Validator: 3, Signature: bytes.Repeat([]byte{7}, 96)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeCheckpointSignature(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidCheckpointSignature) {
				t.Fatalf("error %v does not wrap ErrInvalidCheckpointSignature", err)
			}
			return
		}
		canonical(t, "checkpoint signature", data, s)
	})
}

func FuzzDecodeCrossMsg(f *testing.F) {
	m := fuzzCrossMsg()
	f.Add(mustEnc(f, &m))
	f.Add(mustEnc(f, &CrossMsg{Kind: KindRefund, Value: new(big.Int)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := new(CrossMsg)
		if rlp.DecodeBytes(data, m) != nil {
			return
		}
		canonical(t, "cross message", data, m)
		if m.Leaf() != crypto.Keccak256Hash(data) {
			t.Fatalf("a message's leaf is not the hash of its bytes")
		}
		_ = m.Kind.String()
	})
}
