package types

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// TestCheckpointWireCompact: messages travel without their ID, their
// source's checkpoint prefix, a parent destination or a zero Ref, and come
// back whole: the ID recomputed, a source below the subnet and a
// destination elsewhere kept.
func TestCheckpointWireCompact(t *testing.T) {
	release := CrossMsg{SrcSubnet: "/devnet/alpha", SrcNonce: 300, From: common.Address{1}, DstSubnet: "/devnet",
		To: common.Address{2}, Value: big.NewInt(1_000_000_000), Kind: KindTransfer}
	below := release
	below.SrcSubnet, below.DstSubnet = "/devnet/alpha/x", "/devnet/beta"
	c := &Checkpoint{Subnet: "/devnet/alpha", Height: 10, Messages: []CrossMsg{release, below}}
	enc := mustEncodeCheckpoint(t, c)
	got, err := DecodeCheckpoint(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range got.Messages {
		w := c.Messages[i]
		if m.ID != MsgID(w.SrcSubnet, w.SrcNonce) || m.SrcSubnet != w.SrcSubnet || m.DstSubnet != w.DstSubnet || m.Ref != (common.Hash{}) {
			t.Fatalf("message %d decoded as %+v, want %+v with its ID", i, m, w)
		}
	}
	size, err := CheckpointMessageSize(c.Subnet, &release)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := rlp.EncodeToBytes(&release)
	if size > 60 || size*2 > len(full) {
		t.Fatalf("a release takes %d bytes in a checkpoint, %d in full: not compact", size, len(full))
	}
	t.Logf("a 1 gwei release: %d bytes in a checkpoint, %d as a CrossMsg", size, len(full))

	// A message from outside the subnet has no encoding: an error, no panic.
	out := release
	out.SrcSubnet = "/devnet/beta"
	if _, err := EncodeCheckpoint(&Checkpoint{Subnet: "/devnet/alpha", Messages: []CrossMsg{out}}); !errors.Is(err, ErrInvalidCheckpoint) {
		t.Fatalf("a message from /devnet/beta in a checkpoint of /devnet/alpha encoded: %v", err)
	}
}

// TestCheckpointWireCanonical: the parent spelled out, a zero Ref spelled
// out or a Ref of another length are refused, so each checkpoint has one
// encoding and one Hash.
func TestCheckpointWireCanonical(t *testing.T) {
	msg := messageWire{Src: "", SrcNonce: 1, Dst: "", Value: big.NewInt(1)}
	for _, tc := range []struct {
		name string
		edit func(*messageWire)
		want string
	}{
		{"parent spelled out", func(m *messageWire) { m.Dst = "/devnet" }, "spelled out"},
		{"zero Ref spelled out", func(m *messageWire) { m.Ref = make([]byte, 32) }, "zero Ref"},
		{"short Ref", func(m *messageWire) { m.Ref = []byte{1} }, "Ref of 1 bytes"},
	} {
		m := msg
		tc.edit(&m)
		enc, err := rlp.EncodeToBytes(&checkpointWire{Subnet: "/devnet/alpha", Messages: []messageWire{m}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeCheckpoint(enc); !errors.Is(err, ErrInvalidCheckpoint) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: decoded with %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	enc, err := rlp.EncodeToBytes(&checkpointWire{Subnet: "/devnet/alpha", Messages: []messageWire{msg}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeCheckpoint(enc)
	if err != nil || c.Messages[0].DstSubnet != "/devnet" {
		t.Fatalf("the canonical form: %v, %+v", err, c)
	}
}
