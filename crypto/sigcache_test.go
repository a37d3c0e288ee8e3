package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// TestSigCache: the cache answers what VerifyBLS answers for every
// variation of a remembered (key, message, signature) — another key, another
// message, another signature, a signature of the wrong size — and verifies a
// valid signature in full once, refused ones every time.
func TestSigCache(t *testing.T) {
	a, b := mustBLSKey(t), mustBLSKey(t)
	pa, pb := a.PublicKey().Bytes(), b.PublicKey().Bytes()
	msg := []byte("vote")
	sig := a.Sign(msg)
	other := a.Sign([]byte("other vote"))
	c := NewSigCache(16)
	cases := []struct {
		name          string
		pub, msg, sig []byte
		want          bool
	}{
		{"valid", pa, msg, sig, true},
		{"valid again", pa, msg, sig, true},
		{"another key", pb, msg, sig, false},
		{"another message", pa, []byte("vote!"), sig, false},
		{"another signature of the key", pa, msg, other, false},
		{"short signature", pa, msg, sig[:95], false},
		{"short key", pa[:47], msg, sig, false},
		{"other message, its own signature", pa, []byte("other vote"), other, true},
	}
	for _, tc := range cases {
		if got := c.VerifyBLS(tc.pub, tc.msg, tc.sig); got != tc.want {
			t.Errorf("%s: cached VerifyBLS = %v, want %v", tc.name, got, tc.want)
		}
		if got := VerifyBLS(tc.pub, tc.msg, tc.sig); got != tc.want {
			t.Errorf("%s: VerifyBLS = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Every case but "valid again" needed a full check.
	if got, want := c.Checked(), uint64(len(cases)-1); got != want {
		t.Errorf("full checks = %d, want %d", got, want)
	}
	// A refused signature is refused again, with a full check each time.
	before := c.Checked()
	for range 2 {
		if c.VerifyBLS(pb, msg, sig) {
			t.Fatal("a refused signature passed on a second try")
		}
	}
	if c.Checked() != before+2 {
		t.Errorf("refused signatures checked %d times, want 2", c.Checked()-before)
	}
	var none *SigCache
	if !none.VerifyBLS(pa, msg, sig) || none.VerifyBLS(pb, msg, sig) || none.Checked() != 0 {
		t.Error("a nil cache does not answer as VerifyBLS")
	}
}

// TestSigCacheBounded: the cache holds at most its capacity, and a signature
// it forgot is verified again, still valid.
func TestSigCacheBounded(t *testing.T) {
	k := mustBLSKey(t)
	pub := k.PublicKey().Bytes()
	c := NewSigCache(4)
	msgs := make([][]byte, 6)
	for i := range msgs {
		msgs[i] = []byte{byte(i)}
		if !c.VerifyBLS(pub, msgs[i], k.Sign(msgs[i])) {
			t.Fatalf("message %d refused", i)
		}
	}
	if n := c.valid.Len(); n > 4 {
		t.Fatalf("cache holds %d signatures, capacity 4", n)
	}
	before := c.Checked()
	if !c.VerifyBLS(pub, msgs[0], k.Sign(msgs[0])) || c.Checked() != before+1 {
		t.Error("an evicted signature was not verified again")
	}
}

func BenchmarkSigCacheHit(b *testing.B) {
	k := mustBLSKey(b)
	pub := k.PublicKey().Bytes()
	msg := []byte("vote")
	sig := k.Sign(msg)
	c := NewSigCache(16)
	c.VerifyBLS(pub, msg, sig)
	b.ResetTimer()
	for range b.N {
		if !c.VerifyBLS(pub, msg, sig) {
			b.Fatal("rejected")
		}
	}
}

// TestAggregateVerifiedSignatures: the same aggregate as AggregateSignatures
// for valid signatures, and an error for what is no curve point or has the
// wrong size.
func TestAggregateVerifiedSignatures(t *testing.T) {
	msg := []byte("precommit")
	var sigs [][]byte
	for range 3 {
		sigs = append(sigs, mustBLSKey(t).Sign(msg))
	}
	want, err := AggregateSignatures(sigs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AggregateVerifiedSignatures(sigs)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("aggregate %x, %v; want %x", got, err, want)
	}
	notAPoint := bytes.Repeat([]byte{0xff}, BLSSignatureSize)
	for name, bad := range map[string][][]byte{
		"none":        nil,
		"short":       {sigs[0][:95]},
		"not a point": {sigs[0], notAPoint},
	} {
		if _, err := AggregateVerifiedSignatures(bad); err == nil || (len(bad) > 0 && !errors.Is(err, ErrBLSSignature)) {
			t.Errorf("%s: %v, want an error", name, err)
		}
	}
}
