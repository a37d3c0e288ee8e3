package private

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

var testCtx = Context{ChainID: 4242, Subnet: "/devnet/bank"}

// encKey is participant i's X25519 key, the same in every run.
func encKey(t testing.TB, i int) *PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte(fmt.Sprintf("private test encryption key %d", i)))
	k, err := PrivateKeyFromBytes(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// account is participant i's secp256k1 account key.
func account(t testing.TB, i int) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("private test account %d", i))))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addr(t testing.TB, i int) common.Address { return crypto.PubkeyToAddress(account(t, i).PublicKey) }

// keys returns encryption keys 1..n (0 is the sender's).
func keys(t testing.TB, n int) ([]*PrivateKey, []PublicKey) {
	var priv []*PrivateKey
	var pub []PublicKey
	for i := 1; i <= n; i++ {
		k := encKey(t, i)
		priv = append(priv, k)
		pub = append(pub, k.Public())
	}
	return priv, pub
}

// seal seals payload from account 0 to keys 1..n with nonce 0.
func seal(t testing.TB, payload []byte, n int) (*Envelope, []*PrivateKey) {
	t.Helper()
	priv, pub := keys(t, n)
	env, err := Seal(payload, pub, Header{Context: testCtx}, account(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	return env, priv
}

// roundTrip encodes and decodes env, so every test opens what a node would
// read from the log.
func roundTrip(t testing.TB, env *Envelope) *Envelope {
	t.Helper()
	b, err := env.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
