package types

import (
	"bytes"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

func checkpoint() *Checkpoint {
	refund := crossMsg()
	refund.SrcNonce, refund.ID, refund.Kind, refund.Data = 8, MsgID("/devnet/games", 8), KindRefund, nil
	transfer := crossMsg()
	transfer.SrcNonce, transfer.ID, transfer.Kind, transfer.Data, transfer.Ref = 9, MsgID("/devnet/games", 9), KindTransfer, nil, common.Hash{}
	transfer.Value = new(big.Int).Lsh(big.NewInt(1), 200)
	return &Checkpoint{
		Subnet:        "/devnet/games",
		Height:        1200,
		BlockHash:     common.HexToHash("0xb1"),
		StateRoot:     common.HexToHash("0x5a"),
		Prev:          common.HexToHash("0x9e"),
		Config:        3,
		AppliedConfig: 4,
		DownApplied:   17,
		Messages:      []CrossMsg{crossMsg(), refund, transfer},
	}
}

func mustEncodeCheckpoint(t *testing.T, c *Checkpoint) []byte {
	t.Helper()
	enc, err := EncodeCheckpoint(c)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestCheckpointRoundTrip(t *testing.T) {
	for _, c := range []*Checkpoint{checkpoint(), {Subnet: "/devnet/a", Height: 10}} {
		enc := mustEncodeCheckpoint(t, c)
		got, err := DecodeCheckpoint(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustEncodeCheckpoint(t, got), enc) {
			t.Fatal("re-encoding the decoded checkpoint gives other bytes")
		}
		if got.Hash() != c.Hash() || got.Hash() != crypto.Keccak256Hash(enc) {
			t.Fatal("Hash is not keccak256 of the encoding, or changed in the round trip")
		}
		if got.Subnet != c.Subnet || got.Height != c.Height || got.BlockHash != c.BlockHash ||
			got.StateRoot != c.StateRoot || got.Prev != c.Prev || got.Config != c.Config ||
			got.AppliedConfig != c.AppliedConfig || got.DownApplied != c.DownApplied ||
			len(got.Messages) != len(c.Messages) {
			t.Fatalf("decoded %+v, want %+v", got, c)
		}
		for i, m := range got.Messages {
			w := c.Messages[i]
			if m.ID != w.ID || m.SrcSubnet != w.SrcSubnet || m.SrcNonce != w.SrcNonce || m.From != w.From ||
				m.DstSubnet != w.DstSubnet || m.To != w.To || m.Value.Cmp(w.Value) != 0 ||
				!bytes.Equal(m.Data, w.Data) || m.Kind != w.Kind || m.Ref != w.Ref {
				t.Fatalf("message %d decoded as %+v, want %+v", i, m, w)
			}
		}
	}
}

// Every field is covered by Hash and SigningBytes, including each field of
// the messages (through the same encoding as CrossMsg.Leaf).
func TestCheckpointHashCoversEveryField(t *testing.T) {
	if n := reflect.TypeOf(Checkpoint{}).NumField(); n != 9 {
		t.Fatalf("Checkpoint has %d fields: add the new ones to this test", n)
	}
	base := checkpoint()
	mutations := map[string]func(*Checkpoint){
		"Subnet": func(c *Checkpoint) {
			c.Subnet = "/devnet/gamez"
			for i := range c.Messages {
				c.Messages[i].SrcSubnet = c.Subnet
			}
		},
		"Height":         func(c *Checkpoint) { c.Height++ },
		"BlockHash":      func(c *Checkpoint) { c.BlockHash[0] ^= 1 },
		"StateRoot":      func(c *Checkpoint) { c.StateRoot[0] ^= 1 },
		"Prev":           func(c *Checkpoint) { c.Prev[0] ^= 1 },
		"Config":         func(c *Checkpoint) { c.Config++ },
		"AppliedConfig":  func(c *Checkpoint) { c.AppliedConfig++ },
		"DownApplied":    func(c *Checkpoint) { c.DownApplied++ },
		"Messages":       func(c *Checkpoint) { c.Messages = c.Messages[:2] },
		"Messages order": func(c *Checkpoint) { c.Messages[0], c.Messages[1] = c.Messages[1], c.Messages[0] },
		"message Value":  func(c *Checkpoint) { c.Messages[2].Value = big.NewInt(1) },
		"message Data":   func(c *Checkpoint) { c.Messages[0].Data = c.Messages[0].Data[:3] },
		"message source": func(c *Checkpoint) { c.Messages[0].SrcSubnet += "/a" },
		"message nonce":  func(c *Checkpoint) { c.Messages[0].SrcNonce++ },
		"message From":   func(c *Checkpoint) { c.Messages[0].From[0] ^= 1 },
		"message dst":    func(c *Checkpoint) { c.Messages[0].DstSubnet = "/devnet/other" },
		"message To":     func(c *Checkpoint) { c.Messages[0].To[0] ^= 1 },
		"message Kind":   func(c *Checkpoint) { c.Messages[0].Kind++ },
		"message Ref":    func(c *Checkpoint) { c.Messages[1].Ref[0] ^= 1 },
	}
	for name, mutate := range mutations {
		c := checkpoint()
		mutate(c)
		if c.Hash() == base.Hash() {
			t.Errorf("Hash ignores %s", name)
		}
		if bytes.Equal(c.SigningBytes("devnet"), base.SigningBytes("devnet")) {
			t.Errorf("SigningBytes ignores %s", name)
		}
	}
}

func TestCheckpointSigningBytes(t *testing.T) {
	c := checkpoint()
	enc := mustEncodeCheckpoint(t, c)
	want := crypto.Keccak256([]byte("aspen/checkpoint/v1devnet"), enc)
	if got := c.SigningBytes("devnet"); !bytes.Equal(got, want) {
		t.Fatalf("SigningBytes = %x, want keccak256(tag ‖ network ‖ rlp) = %x", got, want)
	}
	if bytes.Equal(c.SigningBytes("devnet"), c.SigningBytes("testnet")) {
		t.Fatal("SigningBytes ignores the network")
	}
	// Signing bytes are not the checkpoint hash: a signature of one cannot
	// pass for the other.
	if bytes.Equal(c.SigningBytes("devnet"), c.Hash().Bytes()) {
		t.Fatal("SigningBytes equal Hash")
	}
	for _, network := range []string{"", "/devnet", "Devnet", "dev net"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SigningBytes(%q) did not panic", network)
				}
			}()
			c.SigningBytes(network)
		}()
	}
}

func TestMessagesRoot(t *testing.T) {
	c := checkpoint()
	if (&Checkpoint{}).MessagesRoot() != (common.Hash{}) {
		t.Fatal("messages root of no messages is not zero")
	}
	leaves := make([]common.Hash, len(c.Messages))
	for i := range c.Messages {
		leaves[i] = c.Messages[i].Leaf()
	}
	root := c.MessagesRoot()
	if root != MerkleRoot(leaves) {
		t.Fatal("MessagesRoot is not the Merkle root of the leaves")
	}
	for i := range c.Messages {
		proof, err := MerkleProof(leaves, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyMerkleProof(root, c.Messages[i].Leaf(), uint64(i), uint64(len(leaves)), proof); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		// The proof does not stretch to a changed message.
		m := c.Messages[i]
		m.Value = new(big.Int).Add(m.Value, big.NewInt(1))
		if err := VerifyMerkleProof(root, m.Leaf(), uint64(i), uint64(len(leaves)), proof); !errors.Is(err, ErrMerkleProof) {
			t.Fatalf("message %d with another value: got %v", i, err)
		}
	}
	c.Messages[1].To[0] ^= 1
	if c.MessagesRoot() == root {
		t.Fatal("MessagesRoot ignores a message's To")
	}
}

func wantErr(t *testing.T, what string, err, sentinel error, says string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got %v, want %v", what, err, sentinel)
	} else if !strings.Contains(err.Error(), says) {
		t.Errorf("%s: error %q does not say %q", what, err, says)
	}
}

func TestDecodeCheckpointRejects(t *testing.T) {
	enc := mustEncodeCheckpoint(t, checkpoint())

	_, err := DecodeCheckpoint(append(append([]byte(nil), enc...), 0x80))
	wantErr(t, "trailing byte", err, ErrInvalidCheckpoint, "input contains more than one value")
	_, err = DecodeCheckpoint(append(append([]byte(nil), enc...), enc...))
	wantErr(t, "two checkpoints", err, ErrInvalidCheckpoint, "more than one value")
	_, err = DecodeCheckpoint(nil)
	wantErr(t, "empty input", err, ErrInvalidCheckpoint, "EOF")
	_, err = DecodeCheckpoint([]byte("not rlp at all, just some text"))
	wantErr(t, "garbage", err, ErrInvalidCheckpoint, "invalid checkpoint")
	_, err = DecodeCheckpoint(make([]byte, MaxCheckpointSize+1))
	wantErr(t, "oversized", err, ErrInvalidCheckpoint, "over the limit of 1048576")

	// Every truncation fails.
	for n := range len(enc) {
		if _, err := DecodeCheckpoint(enc[:n]); !errors.Is(err, ErrInvalidCheckpoint) {
			t.Fatalf("truncated to %d of %d bytes: got %v", n, len(enc), err)
		}
	}

	// A list with one field too many or too few.
	var fields []rlp.RawValue
	if err := rlp.DecodeBytes(enc, &fields); err != nil {
		t.Fatal(err)
	}
	type short struct {
		Subnet string
		Height uint64
	}
	b, _ := rlp.EncodeToBytes(append(fields, rlp.RawValue{0x01}))
	_, err = DecodeCheckpoint(b)
	wantErr(t, "extra field", err, ErrInvalidCheckpoint, "invalid checkpoint")
	b, _ = rlp.EncodeToBytes(&short{"/devnet/games", 1})
	_, err = DecodeCheckpoint(b)
	wantErr(t, "missing fields", err, ErrInvalidCheckpoint, "too few elements")

	// Non-canonical integer: Height 1200 (0x82 04 b0) with a leading zero byte.
	c := &Checkpoint{Subnet: "/devnet/a", Height: 1200}
	good := mustEncodeCheckpoint(t, c)
	i := bytes.Index(good, []byte{0x82, 0x04, 0xb0})
	bad := append(append(append([]byte{}, good[:i]...), 0x83, 0x00, 0x04, 0xb0), good[i+3:]...)
	if good[0] != 0xf8 {
		t.Fatalf("test setup: encoding starts %#x, want a one-byte long list size", good[0])
	}
	bad[1]++ // the list is one byte longer
	_, err = DecodeCheckpoint(bad)
	wantErr(t, "leading zero", err, ErrInvalidCheckpoint, "leading zero")
}

// Flipping any bit of an encoding either fails to decode or decodes to a
// checkpoint with another hash: tampering is never silent.
func TestCheckpointTamperedBytes(t *testing.T) {
	c := checkpoint()
	enc := mustEncodeCheckpoint(t, c)
	for i := range enc {
		for _, bit := range []byte{0x01, 0x80} {
			tampered := append([]byte(nil), enc...)
			tampered[i] ^= bit
			got, err := DecodeCheckpoint(tampered)
			if err == nil && got.Hash() == c.Hash() {
				t.Fatalf("byte %d bit %#x flipped: decodes to the same checkpoint", i, bit)
			}
			if err != nil && !errors.Is(err, ErrInvalidCheckpoint) {
				t.Fatalf("byte %d: error %v does not wrap ErrInvalidCheckpoint", i, err)
			}
		}
	}
}

func TestEncodeCheckpointRejects(t *testing.T) {
	c := checkpoint()
	c.Messages[0].Data = make([]byte, MaxCheckpointSize)
	_, err := EncodeCheckpoint(c)
	wantErr(t, "oversized", err, ErrInvalidCheckpoint, "carry messages over")
	c = checkpoint()
	c.Messages[0].Value = big.NewInt(-1)
	_, err = EncodeCheckpoint(c)
	wantErr(t, "negative value", err, ErrInvalidCheckpoint, "negative")
}

func FuzzDecodeCheckpoint(f *testing.F) {
	enc, err := EncodeCheckpoint(checkpoint())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(enc[:len(enc)/2])
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCheckpoint(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidCheckpoint) {
				t.Fatalf("error %v does not wrap ErrInvalidCheckpoint", err)
			}
			return
		}
		// Only canonical encodings decode: the hash of what was received
		// is the hash of what was decoded.
		again, err := EncodeCheckpoint(c)
		if err != nil || !bytes.Equal(again, data) || c.Hash() != crypto.Keccak256Hash(data) {
			t.Fatalf("decoded %x but re-encodes to %x (%v)", data, again, err)
		}
	})
}

func TestCheckpointSignatureRoundTrip(t *testing.T) {
	s := &CheckpointSignature{
		Subnet:    "/devnet/games",
		Height:    1200,
		Hash:      checkpoint().Hash(),
		Validator: 70000,
		Signature: bytes.Repeat([]byte{0xab}, 96),
	}
	enc, err := EncodeCheckpointSignature(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCheckpointSignature(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("decoded %+v, want %+v", got, s)
	}

	_, err = DecodeCheckpointSignature(append(append([]byte(nil), enc...), 0x01))
	wantErr(t, "trailing byte", err, ErrInvalidCheckpointSignature, "more than one value")
	for n := range len(enc) {
		if _, err := DecodeCheckpointSignature(enc[:n]); !errors.Is(err, ErrInvalidCheckpointSignature) {
			t.Fatalf("truncated to %d of %d bytes: got %v", n, len(enc), err)
		}
	}
	_, err = DecodeCheckpointSignature(make([]byte, MaxCheckpointSignatureSize+1))
	wantErr(t, "oversized", err, ErrInvalidCheckpointSignature, "over the limit of 1024")
	big := *s
	big.Signature = make([]byte, MaxCheckpointSignatureSize)
	_, err = EncodeCheckpointSignature(&big)
	wantErr(t, "oversized encode", err, ErrInvalidCheckpointSignature, "over the limit")
	// Validator is a uint32: a larger index does not decode.
	type wide struct {
		Subnet    string
		Height    uint64
		Hash      common.Hash
		Validator uint64
		Signature []byte
	}
	b, _ := rlp.EncodeToBytes(&wide{s.Subnet, s.Height, s.Hash, 1 << 32, s.Signature})
	_, err = DecodeCheckpointSignature(b)
	wantErr(t, "validator index over 32 bits", err, ErrInvalidCheckpointSignature, "uint32")
}
