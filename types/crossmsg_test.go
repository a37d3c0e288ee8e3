package types

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// A minimal RLP encoder for the known-answer tests, written from the Yellow
// Paper's definition rather than with the rlp package under test.
func handRLPBytes(b []byte) []byte {
	if len(b) == 1 && b[0] < 0x80 {
		return b
	}
	return append(handRLPHead(0x80, len(b)), b...)
}

func handRLPUint(n uint64) []byte {
	var be [8]byte
	binary.BigEndian.PutUint64(be[:], n)
	return handRLPBytes(bytes.TrimLeft(be[:], "\x00"))
}

func handRLPList(items ...[]byte) []byte {
	payload := bytes.Join(items, nil)
	return append(handRLPHead(0xc0, len(payload)), payload...)
}

func handRLPHead(base byte, n int) []byte {
	if n <= 55 {
		return []byte{base + byte(n)}
	}
	var be [8]byte
	binary.BigEndian.PutUint64(be[:], uint64(n))
	size := bytes.TrimLeft(be[:], "\x00")
	return append([]byte{base + 55 + byte(len(size))}, size...)
}

// MsgID must equal gateway.MsgID, which the lead will alias to this one: the
// hex answers were computed with gateway.MsgID, and the hand-built RLP checks
// they are keccak256(rlp([src, nonce])) as CROSSNET.md says.
func TestMsgIDKnownAnswers(t *testing.T) {
	long := "/devnet/" + strings.Repeat("a", 32) + "/" + strings.Repeat("b", 32) // > 55 bytes: long-form RLP heads
	for _, tc := range []struct {
		src   string
		nonce uint64
		want  string
	}{
		{"/devnet/games", 1, "0x84d368d63f6e1b63d8df39486d37efe1fbc9bdfa328e690a04c77815eace99dc"},
		{"/devnet", 0, "0xc3b16bfff8eb19b6a949e7285616f66ac45cdccb39618f6bee3298f47a2aedb8"},
		{"/x", 1000, "0x40dd5674c92706ec5da58ea37a91827649b4700895904bc6c2fd86fdef8395ad"},
		{long, 1 << 40, "0x614ce1bff33d467cf9e28a3d771da7ac007e15ff7bcb9f49d6491d34fe111584"},
	} {
		hand := crypto.Keccak256Hash(handRLPList(handRLPBytes([]byte(tc.src)), handRLPUint(tc.nonce)))
		if hand.Hex() != tc.want {
			t.Errorf("hand-built keccak256(rlp([%q, %d])) = %s, want %s", tc.src, tc.nonce, hand.Hex(), tc.want)
		}
		if got := MsgID(tc.src, tc.nonce); got.Hex() != tc.want {
			t.Errorf("MsgID(%q, %d) = %s, want %s", tc.src, tc.nonce, got.Hex(), tc.want)
		}
	}
	if MsgID("/devnet/games", 1) == MsgID("/devnet/games", 2) || MsgID("/devnet/a", 1) == MsgID("/devnet/b", 1) {
		t.Fatal("MsgID ignores its source or nonce")
	}
}

func TestMsgKindValues(t *testing.T) {
	// The values are encoded in messages and must match gateway's.
	for k, want := range map[MsgKind]uint8{KindTransfer: 0, KindCall: 1, KindRefund: 2, KindConfig: 3} {
		if uint8(k) != want {
			t.Errorf("%s = %d, want %d", k, k, want)
		}
	}
	if KindCall.String() != "call" || MsgKind(9).String() != "unknown" {
		t.Fatalf("String: %s, %s", KindCall, MsgKind(9))
	}
}

func crossMsg() CrossMsg {
	return CrossMsg{
		ID:        MsgID("/devnet/games", 7),
		SrcSubnet: "/devnet/games",
		SrcNonce:  7,
		From:      common.HexToAddress("0x1111111111111111111111111111111111111111"),
		DstSubnet: "/devnet",
		To:        common.HexToAddress("0x2222222222222222222222222222222222222222"),
		Value:     big.NewInt(1_000_000_000_000_000_000),
		Data:      []byte{0xde, 0xad, 0xbe, 0xef},
		Kind:      KindCall,
		Ref:       common.HexToHash("0x33"),
	}
}

// The leaf pins the field order of the encoding: a known answer built by hand.
func TestCrossMsgLeafKnownAnswer(t *testing.T) {
	m := crossMsg()
	hand := handRLPList(
		handRLPBytes(m.ID[:]), handRLPBytes([]byte(m.SrcSubnet)), handRLPUint(m.SrcNonce),
		handRLPBytes(m.From[:]), handRLPBytes([]byte(m.DstSubnet)), handRLPBytes(m.To[:]),
		handRLPBytes(m.Value.Bytes()), handRLPBytes(m.Data), handRLPUint(uint64(m.Kind)), handRLPBytes(m.Ref[:]),
	)
	if got, want := m.Leaf(), crypto.Keccak256Hash(hand); got != want {
		t.Fatalf("Leaf() = %s, want keccak256 of the hand-built RLP %s", got, want)
	}
}

func TestCrossMsgLeafCoversEveryField(t *testing.T) {
	if n := reflect.TypeOf(CrossMsg{}).NumField(); n != 10 {
		t.Fatalf("CrossMsg has %d fields: add the new ones to this test and to gateway's copy", n)
	}
	base := crossMsg()
	mutations := map[string]func(*CrossMsg){
		"ID":        func(m *CrossMsg) { m.ID[31] ^= 1 },
		"SrcSubnet": func(m *CrossMsg) { m.SrcSubnet += "x" },
		"SrcNonce":  func(m *CrossMsg) { m.SrcNonce++ },
		"From":      func(m *CrossMsg) { m.From[0] ^= 1 },
		"DstSubnet": func(m *CrossMsg) { m.DstSubnet = "/devnet/other" },
		"To":        func(m *CrossMsg) { m.To[19] ^= 1 },
		"Value":     func(m *CrossMsg) { m.Value = new(big.Int).Add(m.Value, big.NewInt(1)) },
		"Data":      func(m *CrossMsg) { m.Data = append([]byte(nil), 0xde, 0xad, 0xbe, 0xee) },
		"Kind":      func(m *CrossMsg) { m.Kind = KindTransfer },
		"Ref":       func(m *CrossMsg) { m.Ref = common.Hash{} },
	}
	if len(mutations) != reflect.TypeOf(CrossMsg{}).NumField() {
		t.Fatal("a field has no mutation")
	}
	for name, mutate := range mutations {
		m := crossMsg()
		mutate(&m)
		if m.Leaf() == base.Leaf() {
			t.Errorf("Leaf ignores %s", name)
		}
	}
}

func TestCrossMsgNilValue(t *testing.T) {
	a, b := crossMsg(), crossMsg()
	a.Value, b.Value = nil, new(big.Int)
	if a.Leaf() != b.Leaf() {
		t.Fatal("a nil Value must encode as zero")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Leaf of a negative Value did not panic")
		}
	}()
	a.Value = big.NewInt(-1)
	a.Leaf()
}
