package crypto

import (
	"crypto/sha256"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common/lru"
)

// SigCache remembers the signatures it found valid, so that a message
// checked on arrival (a node's gossip gate) is not checked again where it
// is used (the engine). Its key is a hash of the exact public key, message
// and signature, and only a pairing check that succeeded puts one there:
// a forged or altered signature, or another message under the same
// signature, misses and is verified in full. Verification is a pure
// function of its inputs, so every answer is the one VerifyBLS gives; the
// cache only saves time, and an engine that uses it stays deterministic.
//
// It also keeps the parsed form of the keys it saw (KeyCache). It is safe for
// concurrent use, holds at most its capacity, and a nil *SigCache remembers
// nothing.
type SigCache struct {
	valid   *lru.Cache[[32]byte, struct{}]
	keys    *KeyCache
	checked atomic.Uint64
}

// NewSigCache returns a cache of at most capacity valid signatures and as
// many parsed keys (a validator set's keys, and a few sets' worth across
// changes, at any sensible capacity).
func NewSigCache(capacity int) *SigCache {
	return &SigCache{valid: lru.NewCache[[32]byte, struct{}](capacity), keys: NewKeyCache(capacity)}
}

// VerifyBLS is VerifyBLS through the cache.
func (c *SigCache) VerifyBLS(pub, msg, sig []byte) bool {
	if c == nil {
		return VerifyBLS(pub, msg, sig)
	}
	if len(pub) != BLSPublicKeySize || len(sig) != BLSSignatureSize {
		c.checked.Add(1)
		return false // no valid signature has other sizes: nothing to remember
	}
	k := sigKey(pub, msg, sig)
	if c.valid.Contains(k) {
		return true
	}
	c.checked.Add(1)
	pk, err := c.keys.parse(pub)
	if err != nil {
		return false
	}
	s, err := parseSignature(sig)
	if err != nil {
		return false
	}
	if !s.Verify(false, pk, false, msg, []byte(blsSigDST)) {
		return false
	}
	c.valid.Add(k, struct{}{})
	return true
}

// Checked is how many signatures the cache has verified in full (or
// refused on their sizes) since it was made: the calls it could not answer
// from memory.
func (c *SigCache) Checked() uint64 {
	if c == nil {
		return 0
	}
	return c.checked.Load()
}

// sigKey names one (key, message, signature): key and signature have fixed
// sizes, so the concatenation is unambiguous.
func sigKey(pub, msg, sig []byte) [32]byte {
	h := sha256.New()
	h.Write(pub)
	h.Write(sig)
	h.Write(msg)
	var k [32]byte
	h.Sum(k[:0])
	return k
}
