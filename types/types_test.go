package types

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestParseSubnetID(t *testing.T) {
	good := map[string]struct {
		parent SubnetID
		name   string
		root   bool
	}{
		"/devnet":                  {"", "devnet", true},
		"/devnet/games":            {"/devnet", "games", false},
		"/devnet/games/chess-2025": {"/devnet/games", "chess-2025", false},
	}
	for s, want := range good {
		id, err := ParseSubnetID(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if id.Parent() != want.parent || id.Name() != want.name || id.IsRoot() != want.root {
			t.Errorf("%q: parent %q name %q root %v, want %+v", s, id.Parent(), id.Name(), id.IsRoot(), want)
		}
	}
	for _, s := range []string{"", "/", "devnet", "/Devnet", "/dev net", "/devnet/", "//x", "/a/" + string(make([]byte, 33)), "/x/abcdefghijklmnopqrstuvwxyz0123456"} {
		if _, err := ParseSubnetID(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if SubnetID("/devnet").Child("games") != "/devnet/games" {
		t.Error("Child does not append a path element")
	}
}

func header() *Header {
	return &Header{
		SubnetID: "/devnet", Height: 7, ParentHash: common.HexToHash("0x01"), TimeMs: 1234,
		Proposer: common.HexToAddress("0x02"), StateRoot: common.HexToHash("0x03"), TxRoot: common.HexToHash("0x04"),
		ReceiptRoot: common.HexToHash("0x05"), GasLimit: 30_000_000, GasUsed: 21000, BaseFee: big.NewInt(7),
		ParentRef: ParentRef{Height: 3, Hash: common.HexToHash("0x06")},
	}
}

// TestHashCoversEveryFieldButTheSeal: changing any field changes the hash,
// except the seal, which signs the hash.
func TestHashCoversEveryFieldButTheSeal(t *testing.T) {
	base := header().Hash()
	sealed := header()
	sealed.Seal = []byte{1, 2, 3}
	if sealed.Hash() != base {
		t.Fatal("the seal changes the hash")
	}
	v := reflect.ValueOf(header()).Elem()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if name == "Seal" {
			continue
		}
		h := header()
		f := reflect.ValueOf(h).Elem().Field(i)
		switch name {
		case "SubnetID":
			f.SetString("/other")
		case "BaseFee":
			h.BaseFee = big.NewInt(8)
		case "ParentRef":
			h.ParentRef.Height++
		case "Bloom":
			h.Bloom[0] = 1
		case "NextValidators":
			h.NextValidators = []Validator{{Address: common.HexToAddress("0x07"), Power: 1}}
		default:
			switch f.Kind() {
			case reflect.Uint64:
				f.SetUint(f.Uint() + 1)
			case reflect.Array:
				f.Index(0).SetUint(f.Index(0).Uint() + 1)
			default:
				t.Fatalf("field %s of kind %s not covered by this test", name, f.Kind())
			}
		}
		if h.Hash() == base {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

// TestNextValidatorsOptional: a header without a set change encodes (and
// hashes) exactly as before the field existed; one with a change round-trips.
func TestNextValidatorsOptional(t *testing.T) {
	h := header()
	h.Seal = []byte{9}
	enc, err := rlp.EncodeToBytes(h)
	if err != nil {
		t.Fatal(err)
	}
	type before struct { // Header as it was before NextValidators
		SubnetID                       SubnetID
		Height                         uint64
		ParentHash                     common.Hash
		TimeMs                         uint64
		Proposer                       common.Address
		StateRoot, TxRoot, ReceiptRoot common.Hash
		Bloom                          gethtypes.Bloom
		GasLimit, GasUsed              uint64
		BaseFee                        *big.Int
		ParentRef                      ParentRef
		EvidenceHash                   common.Hash
		Seal                           []byte
	}
	old, _ := rlp.EncodeToBytes(&before{h.SubnetID, h.Height, h.ParentHash, h.TimeMs, h.Proposer, h.StateRoot, h.TxRoot, h.ReceiptRoot, h.Bloom, h.GasLimit, h.GasUsed, h.BaseFee, h.ParentRef, h.EvidenceHash, h.Seal})
	if !bytes.Equal(enc, old) {
		t.Fatal("a header without NextValidators no longer encodes as before")
	}
	h.NextValidators = []Validator{{Address: common.HexToAddress("0x07"), BLSPublicKey: []byte{1, 2}, Power: 5}}
	enc, _ = rlp.EncodeToBytes(h)
	var back Header
	if err := rlp.DecodeBytes(enc, &back); err != nil || back.Hash() != h.Hash() || len(back.NextValidators) != 1 || back.NextValidators[0].Power != 5 {
		t.Fatalf("round trip: %v %+v", err, back.NextValidators)
	}
}

func TestBlockRoundTrip(t *testing.T) {
	key, _ := crypto.GenerateKey()
	to := common.HexToAddress("0x09")
	tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(big.NewInt(5)), &gethtypes.DynamicFeeTx{
		ChainID: big.NewInt(5), Nonce: 1, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2), Gas: 21000, To: &to,
	})
	for _, ev := range [][][]byte{nil, {{1, 2}, {3}}} {
		b := &Block{Header: header(), Txs: gethtypes.Transactions{tx}, Evidence: ev}
		b.Header.Seal = []byte{9}
		b.Header.EvidenceHash = EvidenceHash(ev)
		enc, err := EncodeBlock(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBlock(enc)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash() != b.Hash() || got.Txs[0].Hash() != tx.Hash() || !reflect.DeepEqual(got.Evidence, ev) || string(got.Header.Seal) != "\x09" {
			t.Fatalf("round trip changed the block (evidence %v)", ev)
		}
	}
	if EvidenceHash(nil) != (common.Hash{}) || EvidenceHash([][]byte{{1}}) == (common.Hash{}) {
		t.Fatal("evidence hash: zero only for no evidence")
	}
	if _, err := DecodeBlock([]byte{0xc1, 0x80, 0x00}); err == nil {
		t.Fatal("garbage decoded as a block")
	}
}

func TestCommitSignerBitmap(t *testing.T) {
	var c Commit
	for _, i := range []int{0, 3, 9} {
		c.SetSigner(i)
	}
	for i := 0; i < 16; i++ {
		want := i == 0 || i == 3 || i == 9
		if c.HasSigner(i) != want {
			t.Errorf("signer %d: %v, want %v", i, c.HasSigner(i), want)
		}
	}
	if len(c.Signers) != 2 {
		t.Errorf("bitmap is %d bytes, want 2", len(c.Signers))
	}
	enc, _ := EncodeCommit(&c)
	got, err := DecodeCommit(enc)
	if err != nil || !got.HasSigner(9) || got.HasSigner(8) {
		t.Fatalf("commit round trip: %v %+v", err, got)
	}
}

// TestDifficultyOptional: a header without difficulty hashes exactly as it
// did before the field existed (a fixed hash, computed then); one with
// difficulty hashes differently, round-trips with and without a validator
// change, and keeps it through Copy. The seal (a pow nonce) stays out of the
// hash.
func TestDifficultyOptional(t *testing.T) {
	const before = "0x1d4c17107c651992b646d3fbce81126071ce569e170517a6802574050aeace12"
	h := header()
	if got := h.Hash().Hex(); got != before {
		t.Fatalf("a header without difficulty hashes to %s, want the pre-difficulty %s", got, before)
	}
	h.Difficulty = 1
	if h.Hash().Hex() == before {
		t.Fatal("difficulty is not part of the hash")
	}
	if c := h.Copy(); c.Difficulty != 1 || c.Hash() != h.Hash() {
		t.Fatalf("Copy lost the difficulty: %d", c.Difficulty)
	}
	withNonce := h.Copy()
	withNonce.Seal = []byte{0, 0, 0, 0, 0, 0, 0, 42}
	if withNonce.Hash() != h.Hash() {
		t.Fatal("the seal (nonce) changes the hash")
	}
	for _, nv := range [][]Validator{nil, {{Address: common.HexToAddress("0x07"), Power: 2}}} {
		h := header()
		h.Difficulty, h.NextValidators, h.Seal = 12345, nv, []byte{1}
		enc, err := rlp.EncodeToBytes(h)
		if err != nil {
			t.Fatal(err)
		}
		var back Header
		if err := rlp.DecodeBytes(enc, &back); err != nil || back.Difficulty != 12345 || back.Hash() != h.Hash() || len(back.NextValidators) != len(nv) {
			t.Fatalf("round trip with %d next validators: %v, difficulty %d", len(nv), err, back.Difficulty)
		}
	}
}
