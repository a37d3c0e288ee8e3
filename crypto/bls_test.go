package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

func mustBLSKey(t testing.TB) *BLSSecretKey {
	t.Helper()
	k, err := GenerateBLSKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Known answers from the Ethereum consensus-spec BLS tests, which use the same
// ciphersuite (min-pk, proof-of-possession DST). They pin the variant and the
// tag: a swapped DST or min-sig would still pass every round-trip test.
func TestBLSKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		sk, pk, msg, sig string
	}{
		{
			sk:  "0x263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3",
			pk:  "0xa491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a",
			msg: "0x0000000000000000000000000000000000000000000000000000000000000000",
			sig: "0xb6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55",
		},
		{
			sk:  "0x328388aff0d4a5b7dc9205abd374e7e98f3cd9f3418edb4eafda5fb16473d216",
			pk:  "0xb53d21a4cfd562c469cc81514d4ce5a6b577d8403d32a394dc265dd190b47fa9f829fdd7963afdf972e5e77854051f6f",
			msg: "0x5656565656565656565656565656565656565656565656565656565656565656",
			sig: "0xa4efa926610b8bd1c8330c918b7a5e9bf374e53435ef8b7ec186abf62e1b1f65aeaaeb365677ac1d1172a1f5b44b4e6d022c252c58486c0a759fbdc7de15a756acc4d343064035667a594b4c2a6f0b0b421975977f297dba63ee2f63ffe47bb6",
		},
	} {
		k, err := BLSSecretKeyFromBytes(hexutil.MustDecode(tc.sk))
		if err != nil {
			t.Fatal(err)
		}
		if got := k.PublicKey().String(); got != tc.pk {
			t.Errorf("public key %s, want %s", got, tc.pk)
		}
		msg := hexutil.MustDecode(tc.msg)
		if got := hexutil.Encode(k.Sign(msg)); got != tc.sig {
			t.Errorf("signature %s, want %s", got, tc.sig)
		}
		if !VerifyBLS(hexutil.MustDecode(tc.pk), msg, hexutil.MustDecode(tc.sig)) {
			t.Error("known signature does not verify")
		}
		if got := hexutil.Encode(k.Bytes()); got != tc.sk {
			t.Errorf("Bytes() = %s, want %s", got, tc.sk)
		}
	}
}

func TestBLSSignVerify(t *testing.T) {
	k1, k2 := mustBLSKey(t), mustBLSKey(t)
	pub1, pub2 := k1.PublicKey(), k2.PublicKey()
	if pub1 == pub2 {
		t.Fatal("two generated keys are equal")
	}
	msg := []byte("checkpoint /devnet 100")
	sig := k1.Sign(msg)
	if len(sig) != BLSSignatureSize || len(pub1.Bytes()) != BLSPublicKeySize {
		t.Fatalf("sizes: sig %d pub %d", len(sig), len(pub1.Bytes()))
	}
	if !VerifyBLS(pub1[:], msg, sig) {
		t.Fatal("valid signature rejected")
	}
	if VerifyBLS(pub1[:], []byte("checkpoint /devnet 101"), sig) {
		t.Fatal("signature verified for another message")
	}
	if VerifyBLS(pub2[:], msg, sig) {
		t.Fatal("signature verified under another key")
	}
	// A signature is a group element, so a flipped bit may still decode; it
	// must never verify.
	flipped := bytes.Clone(sig)
	flipped[len(flipped)-1] ^= 1
	if VerifyBLS(pub1[:], msg, flipped) {
		t.Fatal("bit-flipped signature verified")
	}
}

func TestBLSMalformedInputsNoPanic(t *testing.T) {
	k := mustBLSKey(t)
	pub := k.PublicKey()
	msg := []byte("m")
	sig := k.Sign(msg)
	inf := make([]byte, BLSPublicKeySize)
	inf[0] = 0xc0 // compressed point at infinity
	for name, tc := range map[string]struct{ pub, sig []byte }{
		"truncated sig":  {pub[:], sig[:BLSSignatureSize-1]},
		"empty sig":      {pub[:], nil},
		"long sig":       {pub[:], append(bytes.Clone(sig), 0)},
		"truncated pub":  {pub[:BLSPublicKeySize-1], sig},
		"empty pub":      {nil, sig},
		"zero sig":       {pub[:], make([]byte, BLSSignatureSize)},
		"infinity pub":   {inf, sig},
		"garbage pub":    {bytes.Repeat([]byte{0xff}, BLSPublicKeySize), sig},
		"sig as pub":     {sig[:BLSPublicKeySize], sig},
		"pub padded sig": {pub[:], append(pub.Bytes(), make([]byte, 48)...)},
	} {
		if VerifyBLS(tc.pub, msg, tc.sig) {
			t.Errorf("%s: verified", name)
		}
		if VerifyAggregate([][]byte{tc.pub}, msg, tc.sig) {
			t.Errorf("%s: aggregate verified", name)
		}
		if VerifyProofOfPossession(tc.pub, tc.sig) {
			t.Errorf("%s: PoP verified", name)
		}
	}
	if _, err := ParseBLSPublicKey(inf); !errors.Is(err, ErrBLSPublicKey) {
		t.Errorf("infinity public key: got %v, want ErrBLSPublicKey", err)
	}
	if _, err := ParseBLSPublicKey(pub[:10]); !errors.Is(err, ErrBLSPublicKey) {
		t.Errorf("short public key: got %v, want ErrBLSPublicKey", err)
	}
	if got, err := ParseBLSPublicKey(pub[:]); err != nil || got != pub {
		t.Errorf("valid public key: got %v, %v", got, err)
	}
	if _, err := AggregateSignatures([][]byte{sig, sig[:95]}); !errors.Is(err, ErrBLSSignature) {
		t.Errorf("aggregate with truncated signature: got %v, want ErrBLSSignature", err)
	}
	if _, err := AggregateSignatures(nil); !errors.Is(err, ErrNoSignatures) {
		t.Errorf("aggregate of nothing: got %v, want ErrNoSignatures", err)
	}
}

func TestBLSSecretKeyFromBytes(t *testing.T) {
	k := mustBLSKey(t)
	k2, err := BLSSecretKeyFromBytes(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if k2.PublicKey() != k.PublicKey() {
		t.Fatal("round trip changed the key")
	}
	// The group order r, and zero, are not valid scalars.
	r := hexutil.MustDecode("0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001")
	for name, b := range map[string][]byte{
		"zero":  make([]byte, 32),
		"order": r,
		"short": k.Bytes()[:31],
		"long":  append(k.Bytes(), 0),
		"max":   bytes.Repeat([]byte{0xff}, 32),
	} {
		if _, err := BLSSecretKeyFromBytes(b); !errors.Is(err, ErrBLSSecretKey) {
			t.Errorf("%s: got %v, want ErrBLSSecretKey", name, err)
		}
	}
}

func TestBLSSecretKeyDoesNotPrintSecret(t *testing.T) {
	k := mustBLSKey(t)
	secret := strings.TrimPrefix(hexutil.Encode(k.Bytes()), "0x")
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, secret) {
			t.Fatalf("formatted key shows the secret: %s", s)
		}
	}
}

func TestBLSAggregate(t *testing.T) {
	msg := []byte("block 7")
	keys := []*BLSSecretKey{mustBLSKey(t), mustBLSKey(t), mustBLSKey(t)}
	var pubs, sigs [][]byte
	for _, k := range keys {
		p := k.PublicKey()
		pubs = append(pubs, p[:])
		sigs = append(sigs, k.Sign(msg))
	}
	agg, err := AggregateSignatures(sigs)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyAggregate(pubs, msg, agg) {
		t.Fatal("aggregate of 3 rejected")
	}
	if VerifyAggregate(pubs, []byte("block 8"), agg) {
		t.Fatal("aggregate verified for another message")
	}
	if VerifyAggregate(pubs[:2], msg, agg) {
		t.Fatal("aggregate verified with a signer missing")
	}
	if VerifyAggregate(nil, msg, agg) {
		t.Fatal("aggregate verified with no keys")
	}

	// Swap one signer: the set of keys names someone who did not sign.
	other := mustBLSKey(t).PublicKey()
	swapped := [][]byte{pubs[0], other[:], pubs[2]}
	if VerifyAggregate(swapped, msg, agg) {
		t.Fatal("aggregate verified with a swapped signer key")
	}
	// And the other way: one signature replaced by an outsider's.
	outsider := mustBLSKey(t)
	agg2, err := AggregateSignatures([][]byte{sigs[0], outsider.Sign(msg), sigs[2]})
	if err != nil {
		t.Fatal(err)
	}
	if VerifyAggregate(pubs, msg, agg2) {
		t.Fatal("aggregate verified with a swapped signature")
	}
	// One signer signed a different message.
	agg3, err := AggregateSignatures([][]byte{sigs[0], keys[1].Sign([]byte("block 9")), sigs[2]})
	if err != nil {
		t.Fatal(err)
	}
	if VerifyAggregate(pubs, msg, agg3) {
		t.Fatal("aggregate verified with one signer on another message")
	}

	// The aggregate of one signature is that signature.
	one, err := AggregateSignatures(sigs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one, sigs[0]) {
		t.Fatal("aggregate of one signature differs from it")
	}
}

func TestBLSProofOfPossession(t *testing.T) {
	k, other := mustBLSKey(t), mustBLSKey(t)
	pub, otherPub := k.PublicKey(), other.PublicKey()
	pop := k.ProofOfPossession()
	if !VerifyProofOfPossession(pub[:], pop) {
		t.Fatal("valid proof of possession rejected")
	}
	if VerifyProofOfPossession(otherPub[:], pop) {
		t.Fatal("proof verified for another key")
	}
	// A signature of another message is not a proof.
	if VerifyProofOfPossession(pub[:], k.Sign([]byte("hello"))) {
		t.Fatal("signature of another message accepted as proof")
	}
	// Domain separation: a plain signature of the public key bytes is not a
	// proof, and a proof is not a signature of the public key.
	if VerifyProofOfPossession(pub[:], k.Sign(pub[:])) {
		t.Fatal("signature under the message DST accepted as proof")
	}
	if VerifyBLS(pub[:], pub[:], pop) {
		t.Fatal("proof accepted as a message signature")
	}
}

func TestBLSKeyFile(t *testing.T) {
	k := mustBLSKey(t)
	path := filepath.Join(t.TempDir(), "validator", "bls.json")
	if err := SaveBLSKey(path, k); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Fatalf("key file mode %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), k.PublicKey().String()) {
		t.Fatalf("file does not show the public key in hex: %s", data)
	}
	got, err := LoadBLSKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), k.Bytes()) || got.PublicKey() != k.PublicKey() {
		t.Fatal("loaded key differs")
	}

	// A file whose public key belongs to another secret is refused.
	other := mustBLSKey(t).PublicKey()
	tampered := strings.Replace(string(data), k.PublicKey().String(), other.String(), 1)
	if err := os.WriteFile(path, []byte(tampered), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBLSKey(path); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("mismatched file: got %v, want ErrKeyFile", err)
	}
	if err := os.WriteFile(path, []byte(`{"secretKey":"0x00"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBLSKey(path); !errors.Is(err, ErrBLSSecretKey) {
		t.Fatalf("short secret: got %v, want ErrBLSSecretKey", err)
	}
}

func BenchmarkVerifyAggregate(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("signers=%d", n), func(b *testing.B) {
			msg := []byte("checkpoint")
			pubs := make([][]byte, n)
			sigs := make([][]byte, n)
			for i := range n {
				k := mustBLSKey(b)
				p := k.PublicKey()
				pubs[i] = p[:]
				sigs[i] = k.Sign(msg)
			}
			agg, err := AggregateSignatures(sigs)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if !VerifyAggregate(pubs, msg, agg) {
					b.Fatal("aggregate rejected")
				}
			}
		})
	}
}

func BenchmarkVerifyBLS(b *testing.B) {
	k := mustBLSKey(b)
	p := k.PublicKey()
	msg := []byte("vote")
	sig := k.Sign(msg)
	b.ResetTimer()
	for range b.N {
		if !VerifyBLS(p[:], msg, sig) {
			b.Fatal("rejected")
		}
	}
}
