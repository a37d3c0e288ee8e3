package witness

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

func chain(n int) []*types.Header {
	hs := make([]*types.Header, n)
	var prev *types.Header
	for i := 0; i < n; i++ { // oldest first, then reversed
		h := &types.Header{SubnetID: "/devnet", Height: uint64(10 + i), BaseFee: big.NewInt(7), GasLimit: 30_000_000}
		if prev != nil {
			h.ParentHash = prev.Hash()
		}
		hs[n-1-i], prev = h, h
	}
	return hs
}

func sample() *Witness {
	return &Witness{
		Headers: chain(3),
		TopDown: &TopDown{Ref: types.ParentRef{Height: 4, Hash: common.Hash{4}}, From: 2, Msgs: []rlp.RawValue{{0xc2, 0x01, 0x02}}},
		Codes:   [][]byte{{0x60, 0x00}, {0xfe}},
		Nodes:   [][]byte{{0xc1, 0x80}, {0xc2, 0x80, 0x80}, {0xe1, 0x01}},
	}
}

func encode(t *testing.T, w *Witness) []byte {
	t.Helper()
	b, err := w.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	w := sample()
	b := encode(t, w)
	got, err := Decode(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encode(t, got), b) || got.Parent().Hash() != w.Parent().Hash() || got.TopDown.From != 2 ||
		len(got.Nodes) != 3 || len(got.Codes) != 2 || len(got.Headers) != 3 {
		t.Fatalf("round trip changed the witness: %+v", got)
	}
	// Encode sorts what it was given unsorted.
	w.Nodes[0], w.Nodes[2] = w.Nodes[2], w.Nodes[0]
	if !bytes.Equal(encode(t, w), b) {
		t.Fatal("encoding depends on the order of the nodes")
	}
	none := sample()
	none.TopDown = nil
	if got, err := Decode(encode(t, none), Limits{}); err != nil || got.TopDown != nil {
		t.Fatalf("witness without top-down read: %+v, %v", got, err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	small := DefaultLimits
	small.MaxNodes, small.MaxNodeSize, small.MaxCodeSize = 2, 3, 2
	fewHeaders := DefaultLimits
	fewHeaders.MaxHeaders = 2
	good := encode(t, sample())
	for _, c := range []struct {
		name string
		in   func() []byte
		lim  Limits
		want error
		says string
	}{
		{"too large", func() []byte { return good }, Limits{MaxBytes: 10}, ErrTooLarge, "bytes, limit 10"},
		{"trailing bytes", func() []byte { return append(bytes.Clone(good), 0x80) }, Limits{}, ErrMalformed, "trailing"},
		{"too many nodes", func() []byte { return good }, small, ErrTooLarge, "more than 2 trie nodes"},
		{"big node", func() []byte {
			w := sample()
			w.Nodes = [][]byte{{1, 2, 3, 4}}
			return encode(t, w)
		}, small, ErrTooLarge, "trie nodes 0 is 4 bytes"},
		{"too many headers", func() []byte { return good }, fewHeaders, ErrTooLarge, "more than 2 headers"},
		{"repeated node", func() []byte {
			w := sample()
			w.Nodes = [][]byte{{1}, {1}}
			return encode(t, w)
		}, Limits{}, ErrMalformed, "not sorted or repeat"},
		{"empty code", func() []byte {
			w := sample()
			w.Codes = [][]byte{{}}
			return encode(t, w)
		}, Limits{}, ErrMalformed, "empty"},
		{"broken header chain", func() []byte {
			w := sample()
			w.Headers[1] = w.Headers[2]
			return encode(t, w)
		}, Limits{}, ErrMalformed, "is not the parent of header 0"},
		{"no parent", func() []byte {
			w := sample()
			w.Headers = nil
			return encode(t, w)
		}, Limits{}, ErrMalformed, "no parent header"},
		{"other version", func() []byte {
			b, _ := rlp.EncodeToBytes([]any{uint64(2), []any{}, []any{}, []any{}, []any{}})
			return b
		}, Limits{}, ErrMalformed, "version 2"},
		{"two top-down reads", func() []byte {
			td := sample().TopDown
			b, _ := rlp.EncodeToBytes([]any{uint64(1), chain(1), []any{td, td}, []any{}, []any{}})
			return b
		}, Limits{}, ErrTooLarge, "more than 1 top-down reads"},
	} {
		_, err := Decode(c.in(), c.lim)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: got %v, want %v saying %q", c.name, err, c.want, c.says)
		}
	}
}

// FuzzDecodeWitness: any input decodes within the limits or fails cleanly,
// and what decodes is canonical: it re-encodes to exactly the input.
func FuzzDecodeWitness(f *testing.F) {
	w := sample()
	b, _ := w.Encode()
	f.Add(b)
	w.TopDown = nil
	b, _ = w.Encode()
	f.Add(b)
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Decode(in, Limits{})
		if err != nil {
			return
		}
		out, err := got.Encode()
		if err != nil {
			t.Fatalf("decoded witness does not encode: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in %x\nout %x", in, out)
		}
	})
}
