package crypto

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common/lru"
	blst "github.com/supranational/blst/bindings/go"
)

// Aggregate public keys and a cache of parsed keys, for checking
// certificates of large validator sets without parsing every key each time.
//
// An aggregate key is the sum of validators' public keys, kept as an
// uncompressed G1 point (AggregateKeySize bytes): reading it back needs no
// square root and no subgroup check, because whoever stores it built it
// from keys that were validated when they were admitted. Subtracting the
// keys of the validators that did not sign gives the signers' aggregate, so
// a certificate signed by most of a set costs the keys of the few that did
// not sign.

// AggregateKeySize is the size of an aggregate key: an uncompressed G1 point.
const AggregateKeySize = 96

// AddKeys returns agg + Σ add − Σ sub. agg is an aggregate key
// (AggregateKeySize bytes) or empty for the empty sum; add and sub hold
// compressed public keys, each validated. The result may be the point at
// infinity (every key subtracted again), which no certificate verifies
// against.
func AddKeys(agg []byte, add, sub [][]byte) ([]byte, error) {
	var sum blst.P1
	if len(agg) > 0 {
		p, err := parseAggregateKey(agg)
		if err != nil {
			return nil, err
		}
		sum.FromAffine(p)
	}
	for i, b := range add {
		pk, err := parsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("key %d to add: %w", i, err)
		}
		sum.AddAssign(pk)
	}
	for i, b := range sub {
		pk, err := parsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("key %d to subtract: %w", i, err)
		}
		sum.SubAssign(pk)
	}
	return sum.Serialize(), nil
}

func parseAggregateKey(b []byte) (*blst.P1Affine, error) {
	if len(b) != AggregateKeySize {
		return nil, fmt.Errorf("%w: aggregate key of %d bytes, want %d", ErrBLSPublicKey, len(b), AggregateKeySize)
	}
	p := new(blst.P1Affine).Deserialize(b)
	if p == nil {
		return nil, fmt.Errorf("%w: aggregate key is not a curve point", ErrBLSPublicKey)
	}
	return p, nil
}

// KeyCache keeps the parsed, validated form of recently used public keys,
// by their compressed bytes, so that a validator set checking one
// certificate after another parses each key once. A key's bytes are its
// identity and parsing is a pure function of them, so every answer is the
// one an uncached check gives (a nil *KeyCache caches nothing). It is safe
// for concurrent use and holds at most its capacity.
type KeyCache struct {
	keys *lru.Cache[[BLSPublicKeySize]byte, *blst.P1Affine]
}

// NewKeyCache returns a cache of at most capacity parsed keys.
func NewKeyCache(capacity int) *KeyCache {
	return &KeyCache{keys: lru.NewCache[[BLSPublicKeySize]byte, *blst.P1Affine](capacity)}
}

// Len is the number of keys held.
func (c *KeyCache) Len() int {
	if c == nil {
		return 0
	}
	return c.keys.Len()
}

// parse is parsePublicKey through the cache. Only valid keys are kept.
func (c *KeyCache) parse(b []byte) (*blst.P1Affine, error) {
	if c == nil || len(b) != BLSPublicKeySize {
		return parsePublicKey(b)
	}
	k := [BLSPublicKeySize]byte(b)
	if pk, ok := c.keys.Get(k); ok {
		return pk, nil
	}
	pk, err := parsePublicKey(b)
	if err == nil {
		c.keys.Add(k, pk)
	}
	return pk, err
}

// VerifyAggregate is VerifyAggregate with the keys parsed through c (every
// one of them parsed when c is nil).
func (c *KeyCache) VerifyAggregate(pubs [][]byte, msg, aggSig []byte) bool {
	if len(pubs) == 0 {
		return false
	}
	pks := make([]*blst.P1Affine, len(pubs))
	for i, b := range pubs {
		pk, err := c.parse(b)
		if err != nil {
			return false
		}
		pks[i] = pk
	}
	s, err := parseSignature(aggSig)
	if err != nil {
		return false
	}
	return s.FastAggregateVerify(false, pks, msg, []byte(blsSigDST))
}

// VerifyAggregateExcept reports whether aggSig aggregates the signatures
// of msg by every key summed in the aggregate key agg except those in
// except (compressed keys, each in the sum once): the check of a
// certificate from the set's aggregate and the keys that did not sign. An
// empty signer set (the point at infinity) verifies nothing.
func (c *KeyCache) VerifyAggregateExcept(agg []byte, except [][]byte, msg, aggSig []byte) bool {
	p, err := parseAggregateKey(agg)
	if err != nil {
		return false
	}
	var sum blst.P1
	sum.FromAffine(p)
	for _, b := range except {
		pk, err := c.parse(b)
		if err != nil {
			return false
		}
		sum.SubAssign(pk)
	}
	s, err := parseSignature(aggSig)
	if err != nil {
		return false
	}
	// The tag is VerifyBLS's; blst refuses an infinite key.
	return s.Verify(false, sum.ToAffine(), false, msg, []byte(blsSigDST))
}
