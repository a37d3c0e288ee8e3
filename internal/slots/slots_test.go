package slots

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

type mem map[common.Hash]common.Hash

func (m mem) GetState(k common.Hash) common.Hash    { return m[k] }
func (m mem) SetState(k common.Hash, v common.Hash) { m[k] = v }

// TestBlobRoundTrip: a blob reads back as written; a shorter blob written
// over a longer one leaves no word of it behind; a length over the bound
// reads as absent.
func TestBlobRoundTrip(t *testing.T) {
	st := mem{}
	s := Of("test/blob", []byte("key"))
	long := bytes.Repeat([]byte{0xab}, 100)
	WriteBlob(st, s, long)
	if got := ReadBlob(st, s, 1<<10); !bytes.Equal(got, long) {
		t.Fatalf("read %x, want %x", got, long)
	}
	if n := len(st); uint64(n) != BlobSlots(len(long)) {
		t.Fatalf("%d slots used, want %d", n, BlobSlots(len(long)))
	}
	WriteBlob(st, s, []byte{1, 2, 3})
	for i := uint64(2); i < BlobSlots(len(long)); i++ {
		if st[Plus(s, i)] != (common.Hash{}) {
			t.Fatalf("word %d of the longer blob left behind", i)
		}
	}
	if got := ReadBlob(st, s, 1<<10); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("read %x after the shorter write", got)
	}
	if got := ReadBlob(st, s, 2); got != nil {
		t.Fatalf("a 3-byte blob read with bound 2: %x, want nil", got)
	}
}

// TestPlusWraps: slot arithmetic wraps at 2^256 as the EVM's does.
func TestPlusWraps(t *testing.T) {
	top := common.HexToHash("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
	if got := Plus(top, 2); got != common.BigToHash(common.Big1) {
		t.Fatalf("max + 2 = %s, want 1", got)
	}
	if WordU64(U64Word(1<<63+5)) != 1<<63+5 {
		t.Fatal("U64Word/WordU64 do not round-trip")
	}
}
