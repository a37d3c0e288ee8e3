package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	blst "github.com/supranational/blst/bindings/go"
)

// validators is an ordered list of BLS validators for quorum tests.
type validators struct {
	keys   []*BLSSecretKey
	pubs   [][]byte
	powers []uint64
}

func newValidators(t testing.TB, powers ...uint64) *validators {
	t.Helper()
	v := &validators{powers: powers}
	for range powers {
		k := mustBLSKey(t)
		p := k.PublicKey()
		v.keys = append(v.keys, k)
		v.pubs = append(v.pubs, p[:])
	}
	return v
}

// certify returns the aggregate and bitmap of the given validators' signatures of msg.
func (v *validators) certify(t testing.TB, msg []byte, signers ...int) (agg, bitmap []byte) {
	t.Helper()
	sigs := map[int][]byte{}
	for _, i := range signers {
		sigs[i] = v.keys[i].Sign(msg)
	}
	agg, bitmap, err := AggregateWithBitmap(len(v.keys), sigs)
	if err != nil {
		t.Fatal(err)
	}
	return agg, bitmap
}

func bitmapOf(n int, signers ...int) []byte {
	b := NewBitmap(n)
	for _, i := range signers {
		b.Set(i)
	}
	return b
}

func wantErr(t *testing.T, what string, err error, sentinels []error, says string) {
	t.Helper()
	for _, s := range sentinels {
		if !errors.Is(err, s) {
			t.Errorf("%s: got %v, want %v", what, err, s)
			return
		}
	}
	if !strings.Contains(fmt.Sprint(err), says) {
		t.Errorf("%s: error %q does not say %q", what, err, says)
	}
}

func TestBitmap(t *testing.T) {
	b := NewBitmap(10)
	if len(b) != 2 || b.Count() != 0 {
		t.Fatalf("NewBitmap(10) = %x", []byte(b))
	}
	b.Set(0)
	b.Set(3)
	b.Set(9)
	// Little-endian within bytes, as types.Commit: bit i is 1<<(i%8) of byte i/8.
	if !bytes.Equal(b, []byte{0x09, 0x02}) {
		t.Fatalf("bits 0, 3, 9 give %x, want 0902", []byte(b))
	}
	for i := -1; i < 20; i++ {
		if want := i == 0 || i == 3 || i == 9; b.Has(i) != want {
			t.Errorf("Has(%d) = %v", i, b.Has(i))
		}
	}
	if b.Count() != 3 {
		t.Fatalf("Count = %d", b.Count())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Set beyond the bitmap did not panic")
			}
		}()
		b.Set(16)
	}()

	for _, tc := range []struct {
		b    Bitmap
		n    int
		says string // "" for valid
	}{
		{Bitmap{0x09, 0x02}, 10, ""},
		{Bitmap{0xff, 0x03}, 10, ""},
		{Bitmap{0xff}, 8, ""},
		{Bitmap{}, 0, ""},
		{Bitmap{0x09}, 10, "1 bytes for 10 validators, want 2"},
		{Bitmap{0x09, 0x02, 0x00}, 10, "3 bytes for 10 validators, want 2"},
		{nil, 4, "0 bytes for 4 validators, want 1"},
		{Bitmap{0x09, 0x04}, 10, "bit set beyond the 10 validators"},
		{Bitmap{0x80}, 7, "bit set beyond the 7 validators"},
		{Bitmap{0x10}, 4, "bit set beyond the 4 validators"},
	} {
		err := tc.b.Validate(tc.n)
		if tc.says == "" {
			if err != nil {
				t.Errorf("%x for %d: %v", []byte(tc.b), tc.n, err)
			}
			continue
		}
		wantErr(t, fmt.Sprintf("%x for %d", []byte(tc.b), tc.n), err, []error{ErrBitmap}, tc.says)
	}
}

func TestVerifyQuorum(t *testing.T) {
	v := newValidators(t, 1, 1, 1, 1)
	msg := []byte("checkpoint 1200")
	for _, signers := range [][]int{{0, 1, 2}, {1, 2, 3}, {0, 1, 2, 3}} {
		agg, bm := v.certify(t, msg, signers...)
		if !bytes.Equal(bm, bitmapOf(4, signers...)) {
			t.Fatalf("bitmap %x for signers %v", bm, signers)
		}
		power, err := VerifyQuorum(v.pubs, v.powers, bm, msg, agg)
		if err != nil || power != uint64(len(signers)) {
			t.Fatalf("signers %v: power %d, %v", signers, power, err)
		}
		// The same answer as VerifyAggregate over the signers' keys.
		var pubs [][]byte
		for _, i := range signers {
			pubs = append(pubs, v.pubs[i])
		}
		if !VerifyAggregate(pubs, msg, agg) {
			t.Fatalf("signers %v: VerifyAggregate disagrees", signers)
		}
	}
}

func TestVerifyQuorumNeedsMoreThanTwoThirds(t *testing.T) {
	msg := []byte("checkpoint")
	for _, tc := range []struct {
		powers  []uint64
		signers []int
		ok      bool
	}{
		{[]uint64{1, 1, 1, 1}, []int{0, 1}, false},             // 2 of 4
		{[]uint64{1, 1, 1}, []int{0, 1}, false},                // exactly 2/3 is not enough
		{[]uint64{2, 1}, []int{0}, false},                      // exactly 2/3 again, by weight
		{[]uint64{1, 1, 1}, []int{0, 1, 2}, true},              // 3 of 3
		{[]uint64{10, 10, 10, 1}, []int{0, 1}, false},          // 20 of 31, need 21
		{[]uint64{10, 10, 10, 1}, []int{0, 1, 3}, true},        // 21 of 31
		{[]uint64{100, 1, 1, 1}, []int{0}, true},               // one heavy validator
		{[]uint64{100, 1, 1, 1}, []int{1, 2, 3}, false},        // three light ones
		{[]uint64{1}, []int{0}, true},                          // a set of one
		{[]uint64{5, 5, 5, 5, 5, 5}, []int{0, 1, 2, 3}, false}, // 20 of 30
	} {
		v := newValidators(t, tc.powers...)
		agg, bm := v.certify(t, msg, tc.signers...)
		power, err := VerifyQuorum(v.pubs, v.powers, bm, msg, agg)
		what := fmt.Sprintf("powers %v signers %v", tc.powers, tc.signers)
		if tc.ok {
			var want uint64
			for _, i := range tc.signers {
				want += tc.powers[i]
			}
			if err != nil || power != want {
				t.Errorf("%s: power %d, %v; want %d", what, power, err, want)
			}
			continue
		}
		wantErr(t, what, err, []error{ErrNoQuorum}, "need")
		if power != 0 {
			t.Errorf("%s: power %d returned with an error", what, power)
		}
	}
}

func TestVerifyQuorumRejectsForgeries(t *testing.T) {
	v := newValidators(t, 1, 1, 1, 1, 1)
	msg := []byte("aspen/checkpoint/v1devnet: checkpoint 1200")
	agg, bm := v.certify(t, msg, 0, 1, 2, 3)
	if _, err := VerifyQuorum(v.pubs, v.powers, bm, msg, agg); err != nil {
		t.Fatal(err)
	}
	bad := func(what string, bitmap, msg, agg []byte, sentinels []error, says string) {
		t.Helper()
		power, err := VerifyQuorum(v.pubs, v.powers, bitmap, msg, agg)
		wantErr(t, what, err, sentinels, says)
		if power != 0 {
			t.Errorf("%s: power %d returned with an error", what, power)
		}
	}
	aggregate := []error{ErrBadAggregate}

	// The bitmap names someone who did not sign, or leaves out someone who did.
	bad("signer swapped in bitmap", bitmapOf(5, 0, 1, 2, 4), msg, agg, aggregate, "not the signatures of the 4 validators")
	bad("extra signer in bitmap", bitmapOf(5, 0, 1, 2, 3, 4), msg, agg, aggregate, "5 validators")
	agg3, _ := v.certify(t, msg, 0, 1, 2)
	bad("bitmap claims more than signed", bitmapOf(5, 0, 1, 2, 3), msg, agg3, aggregate, "not the signatures")
	bad("bitmap of the wrong length", append(bm, 0), msg, agg, []error{ErrBitmap}, "2 bytes for 5 validators, want 1")
	bad("no bitmap", nil, msg, agg, []error{ErrBitmap}, "0 bytes")
	bad("bit beyond the validators", []byte{bm[0] | 0x40}, msg, agg, []error{ErrBitmap}, "beyond the 5 validators")

	// The signature or the message was changed.
	bad("other message", bm, []byte("aspen/checkpoint/v1devnet: checkpoint 1201"), agg, aggregate, "not the signatures")
	bad("other network", bm, []byte("aspen/checkpoint/v1testnet: checkpoint 1200"), agg, aggregate, "not the signatures")
	bad("truncated aggregate", bm, msg, agg[:95], []error{ErrBadAggregate, ErrBLSSignature}, "95 bytes, want 96")
	bad("no aggregate", bm, msg, nil, []error{ErrBadAggregate, ErrBLSSignature}, "0 bytes")
	bad("an individual signature", bm, msg, v.keys[0].Sign(msg), aggregate, "")
	for _, i := range []int{0, 1, 47, 95} {
		tampered := bytes.Clone(agg)
		tampered[i] ^= 0x01
		bad(fmt.Sprintf("aggregate byte %d flipped", i), bm, msg, tampered, aggregate, "")
	}

	// One signer signed twice, standing in for one that did not.
	sigs := [][]byte{v.keys[0].Sign(msg), v.keys[0].Sign(msg), v.keys[1].Sign(msg), v.keys[2].Sign(msg)}
	dup, err := AggregateSignatures(sigs)
	if err != nil {
		t.Fatal(err)
	}
	bad("duplicate signature", bitmapOf(5, 0, 1, 2, 3), msg, dup, aggregate, "not the signatures")

	// Signed under another domain tag (the proof-of-possession one): the same
	// message bytes, another scheme.
	var pop blst.P2Aggregate
	for i := range 4 {
		pop.Add(new(blst.P2Affine).Sign(&v.keys[i].sk, msg, []byte(blsPopDST)), false)
	}
	bad("other BLS domain", bm, msg, pop.ToAffine().Compress(), aggregate, "not the signatures")

	// A signature by an outsider in place of a validator's.
	outsider := mustBLSKey(t)
	forged, err := AggregateSignatures([][]byte{v.keys[0].Sign(msg), v.keys[1].Sign(msg), v.keys[2].Sign(msg), outsider.Sign(msg)})
	if err != nil {
		t.Fatal(err)
	}
	bad("outsider's signature", bm, msg, forged, aggregate, "not the signatures")
}

func TestNewKeySetRejects(t *testing.T) {
	v := newValidators(t, 1, 2, 3)
	for _, tc := range []struct {
		what   string
		keys   [][]byte
		powers []uint64
		errs   []error
		says   string
	}{
		{"no validators", nil, nil, []error{ErrKeySet}, "no validators"},
		{"fewer powers", v.pubs, v.powers[:2], []error{ErrKeySet}, "3 keys but 2 powers"},
		{"duplicate key", [][]byte{v.pubs[0], v.pubs[1], v.pubs[0]}, v.powers, []error{ErrKeySet}, "validators 0 and 2 have the same key"},
		{"zero power", v.pubs, []uint64{1, 0, 3}, []error{ErrKeySet}, "validator 1 has no power"},
		{"overflow", v.pubs, []uint64{math.MaxUint64 - 1, 1, 1}, []error{ErrKeySet}, "overflows"},
		{"truncated key", [][]byte{v.pubs[0], v.pubs[1][:47], v.pubs[2]}, v.powers, []error{ErrKeySet, ErrBLSPublicKey}, "validator 1"},
		{"not a point", [][]byte{v.pubs[0], v.pubs[1], bytes.Repeat([]byte{0xff}, 48)}, v.powers, []error{ErrKeySet, ErrBLSPublicKey}, "validator 2"},
		{"infinity", [][]byte{append([]byte{0xc0}, make([]byte, 47)...), v.pubs[1], v.pubs[2]}, v.powers, []error{ErrKeySet, ErrBLSPublicKey}, "validator 0"},
	} {
		s, err := NewKeySet(tc.keys, tc.powers)
		if s != nil {
			t.Errorf("%s: got a key set", tc.what)
		}
		wantErr(t, tc.what, err, tc.errs, tc.says)
		// VerifyQuorum refuses the same lists, whatever the certificate.
		agg, bm := v.certify(t, []byte("m"), 0, 1, 2)
		if _, err := VerifyQuorum(tc.keys, tc.powers, bm, []byte("m"), agg); !errors.Is(err, ErrKeySet) {
			t.Errorf("%s: VerifyQuorum gave %v", tc.what, err)
		}
	}
}

func TestKeySetQuorum(t *testing.T) {
	v := newValidators(t, 1, 1, 1)
	for _, powers := range [][]uint64{
		{1, 1, 1}, {1, 1, 2}, {10, 10, 11}, {1, 1, 1 << 40},
		{math.MaxUint64 / 3, math.MaxUint64 / 3, math.MaxUint64 / 3}, // total*2 would overflow
		{math.MaxUint64 - 2, 1, 1},
	} {
		s, err := NewKeySet(v.pubs, powers)
		if err != nil {
			t.Fatal(err)
		}
		total := new(big.Int)
		for _, p := range powers {
			total.Add(total, new(big.Int).SetUint64(p))
		}
		// The least q with 3q > 2*total.
		want := new(big.Int).Mul(total, big.NewInt(2))
		want.Div(want, big.NewInt(3)).Add(want, big.NewInt(1))
		if s.TotalPower() != total.Uint64() || s.Quorum() != want.Uint64() {
			t.Errorf("powers %v: total %d quorum %d, want %s and %s", powers, s.TotalPower(), s.Quorum(), total, want)
		}
	}
}

// A KeySet is reused across certificates, and gives VerifyQuorum's answers.
func TestKeySetReuse(t *testing.T) {
	v := newValidators(t, 3, 3, 3, 1)
	s, err := NewKeySet(v.pubs, v.powers)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 4 || s.TotalPower() != 10 || s.Quorum() != 7 {
		t.Fatalf("Len %d TotalPower %d Quorum %d", s.Len(), s.TotalPower(), s.Quorum())
	}
	v.powers[0] = 100 // the set copied the powers
	for h := range 3 {
		msg := []byte(fmt.Sprintf("checkpoint %d", h))
		agg, bm := v.certify(t, msg, 0, 1, 3)
		if power, err := s.Verify(bm, msg, agg); err != nil || power != 7 {
			t.Fatalf("height %d: power %d, %v", h, power, err)
		}
		if _, err := s.Verify(bm, []byte("checkpoint 9"), agg); !errors.Is(err, ErrBadAggregate) {
			t.Fatalf("height %d: wrong message accepted: %v", h, err)
		}
	}
}

func TestAggregateWithBitmap(t *testing.T) {
	v := newValidators(t, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	msg := []byte("m")
	sigs := map[int][]byte{8: v.keys[8].Sign(msg), 0: v.keys[0].Sign(msg), 4: v.keys[4].Sign(msg)}
	agg, bm, err := AggregateWithBitmap(9, sigs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bm, []byte{0x11, 0x01}) {
		t.Fatalf("bitmap %x, want 1101", bm)
	}
	want, err := AggregateSignatures([][]byte{sigs[0], sigs[4], sigs[8]})
	if err != nil || !bytes.Equal(agg, want) {
		t.Fatalf("aggregate differs from AggregateSignatures: %v", err)
	}

	_, _, err = AggregateWithBitmap(9, nil)
	wantErr(t, "no signatures", err, []error{ErrNoSignatures}, "no signatures")
	_, _, err = AggregateWithBitmap(9, map[int][]byte{9: sigs[8]})
	wantErr(t, "index n", err, []error{ErrSignerIndex}, "validator 9 of 9")
	_, _, err = AggregateWithBitmap(9, map[int][]byte{-1: sigs[0]})
	wantErr(t, "negative index", err, []error{ErrSignerIndex}, "validator -1 of 9")
	_, _, err = AggregateWithBitmap(9, map[int][]byte{0: sigs[0], 3: sigs[4][:50], 5: []byte{1}})
	wantErr(t, "truncated signature", err, []error{ErrBLSSignature}, "validator 3: ")
}

// BenchmarkVerifyQuorum checks a certificate signed by every validator:
// VerifyQuorum parses every key on each call, KeySet.Verify reuses them.
func BenchmarkVerifyQuorum(b *testing.B) {
	for _, n := range []int{4, 100} {
		powers := make([]uint64, n)
		signers := make([]int, n)
		for i := range n {
			powers[i], signers[i] = uint64(i+1), i
		}
		v := newValidators(b, powers...)
		msg := []byte("checkpoint")
		agg, bm := v.certify(b, msg, signers...)
		b.Run(fmt.Sprintf("validators=%d/VerifyQuorum", n), func(b *testing.B) {
			for range b.N {
				if _, err := VerifyQuorum(v.pubs, v.powers, bm, msg, agg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("validators=%d/KeySet.Verify", n), func(b *testing.B) {
			s, err := NewKeySet(v.pubs, v.powers)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := s.Verify(bm, msg, agg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("validators=%d/NewKeySet", n), func(b *testing.B) {
			for range b.N {
				if _, err := NewKeySet(v.pubs, v.powers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestQuorumFormula: Quorum is the least q with 3q > 2*total for every
// uint64 total, including those where 2*total overflows.
func TestQuorumFormula(t *testing.T) {
	for _, total := range []uint64{0, 1, 2, 3, 4, 5, 100, 1 << 62, 1<<63 - 1, 1 << 63, 1<<63 + 3, math.MaxUint64 - 1, math.MaxUint64} {
		want := new(big.Int).Mul(new(big.Int).SetUint64(total), big.NewInt(2))
		want.Div(want, big.NewInt(3)).Add(want, big.NewInt(1))
		if got := Quorum(total); got != want.Uint64() {
			t.Errorf("Quorum(%d) = %d, want %s", total, got, want)
		}
	}
}
