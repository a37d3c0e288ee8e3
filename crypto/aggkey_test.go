package crypto

import (
	"testing"
)

// TestAggregateKeyExcept: a set's aggregate key less its non-signers'
// keys verifies exactly what the signers' own keys verify: the right
// signers, not a missing one, not an extra one, not another message; built
// by adding and subtracting keys in any order.
func TestAggregateKeyExcept(t *testing.T) {
	keys := make([]*BLSSecretKey, 5)
	pubs := make([][]byte, 5)
	for i := range keys {
		keys[i] = mustBLSKey(t)
		pubs[i] = keys[i].PublicKey().Bytes()
	}
	msg := []byte("checkpoint")
	sign := func(signers ...int) []byte {
		var sigs [][]byte
		for _, i := range signers {
			sigs = append(sigs, keys[i].Sign(msg))
		}
		agg, err := AggregateSignatures(sigs)
		if err != nil {
			t.Fatal(err)
		}
		return agg
	}
	// The set {0..4}, built as {0,1,2} + {3,4} − {} and as {} + all, with a
	// detour through a key added and taken away again.
	a, err := AddKeys(nil, pubs[:3], nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = AddKeys(a, pubs[3:], nil); err != nil {
		t.Fatal(err)
	}
	extra := mustBLSKey(t).PublicKey().Bytes()
	b, err := AddKeys(nil, append([][]byte{extra}, pubs...), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = AddKeys(b, nil, [][]byte{extra}); err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || len(a) != AggregateKeySize {
		t.Fatalf("the same set summed two ways gives %x and %x", a, b)
	}
	for _, c := range []*KeyCache{nil, NewKeyCache(2)} {
		sig := sign(0, 1, 3)
		if !c.VerifyAggregateExcept(a, [][]byte{pubs[2], pubs[4]}, msg, sig) {
			t.Fatal("signers 0, 1, 3: refused")
		}
		if !c.VerifyAggregate([][]byte{pubs[0], pubs[1], pubs[3]}, msg, sig) {
			t.Fatal("signers 0, 1, 3 by their keys: refused")
		}
		if c.VerifyAggregateExcept(a, [][]byte{pubs[2]}, msg, sig) {
			t.Fatal("claimed signer 4 did not sign, yet accepted")
		}
		if c.VerifyAggregateExcept(a, [][]byte{pubs[2], pubs[4], pubs[3]}, msg, sig) {
			t.Fatal("signer 3 left out, yet accepted")
		}
		if c.VerifyAggregateExcept(a, [][]byte{pubs[2], pubs[4]}, []byte("other"), sig) {
			t.Fatal("another message accepted")
		}
		if !c.VerifyAggregateExcept(a, nil, msg, sign(0, 1, 2, 3, 4)) {
			t.Fatal("all signing: refused")
		}
	}
	// Every key taken away: the point at infinity, which verifies nothing.
	none, err := AddKeys(a, nil, pubs)
	if err != nil {
		t.Fatal(err)
	}
	if NewKeyCache(4).VerifyAggregateExcept(none, nil, msg, sign(0)) {
		t.Fatal("an empty aggregate verified a signature")
	}
	for _, bad := range [][]byte{nil, make([]byte, AggregateKeySize), a[:95]} {
		if (*KeyCache)(nil).VerifyAggregateExcept(bad, nil, msg, sign(0, 1, 2, 3, 4)) {
			t.Fatalf("malformed aggregate %x verified", bad)
		}
	}
	if _, err := AddKeys(a, [][]byte{make([]byte, BLSPublicKeySize)}, nil); err == nil {
		t.Fatal("an invalid key was added")
	}
}

// TestKeyCacheBounded: the cache holds at most its capacity, keeps only
// valid keys, and answers as the uncached check does.
func TestKeyCacheBounded(t *testing.T) {
	c := NewKeyCache(3)
	msg := []byte("m")
	for range 6 {
		k := mustBLSKey(t)
		if !c.VerifyAggregate([][]byte{k.PublicKey().Bytes()}, msg, k.Sign(msg)) {
			t.Fatal("refused a good signature")
		}
	}
	if c.Len() != 3 {
		t.Fatalf("holds %d keys, capacity 3", c.Len())
	}
	bad := make([]byte, BLSPublicKeySize)
	bad[0] = 0xc0 | 1
	k := mustBLSKey(t)
	if c.VerifyAggregate([][]byte{bad}, msg, k.Sign(msg)) || c.VerifyAggregate([][]byte{bad}, msg, k.Sign(msg)) {
		t.Fatal("an invalid key verified")
	}
	if c.Len() != 3 {
		t.Fatalf("holds %d keys after invalid ones", c.Len())
	}
}
