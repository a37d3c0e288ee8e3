package private

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
)

// KeySize is the length of an X25519 private or public key in bytes.
const KeySize = 32

// ErrBadKey is returned for a key of the wrong length or encoding.
var ErrBadKey = errors.New("private: bad encryption key")

// keyIDDomain separates key IDs from every other keccak hash in Aspen.
const keyIDDomain = "aspen/private/v1/key-id"

// KeyID names a participant's encryption key in an envelope's recipient list:
// keccak256 of a domain tag and the X25519 public key. The gateway's key
// registry (not built yet) maps it back to the participant.
type KeyID [32]byte

func (id KeyID) String() string { return "0x" + hex.EncodeToString(id[:]) }

// Compare orders key IDs as recipient lists are sorted: bytewise.
func (id KeyID) Compare(other KeyID) int { return bytes.Compare(id[:], other[:]) }

// byKeyID orders public keys by their IDs, the order Seal wraps in.
func byKeyID(a, b PublicKey) int { return a.ID().Compare(b.ID()) }

// PublicKey is a participant's X25519 encryption key, the one it registers
// through its subnet's gateway.
type PublicKey struct{ k *ecdh.PublicKey }

// PrivateKey is the secret half of a participant's encryption key. It is the
// only secret a wiped participant needs to rebuild its private state from the
// envelope log.
type PrivateKey struct{ k *ecdh.PrivateKey }

// GenerateKey returns a fresh X25519 key from the system's secure random
// source (Go ≥1.26 ignores caller-supplied readers for key generation; tests
// that need repeatable keys use testing/cryptotest.SetGlobalRandom or
// PrivateKeyFromBytes).
func GenerateKey() (*PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("private: generate X25519 key: %w", err)
	}
	return &PrivateKey{k}, nil
}

// PrivateKeyFromBytes parses a 32-byte X25519 scalar as written by Bytes.
func PrivateKeyFromBytes(b []byte) (*PrivateKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: private key must be %d bytes, got %d", ErrBadKey, KeySize, len(b))
	}
	return &PrivateKey{k}, nil
}

// Bytes is the 32-byte scalar. Keep it as secret as an account key.
func (k *PrivateKey) Bytes() []byte { return k.k.Bytes() }

// Public is the key to register and to seal envelopes to.
func (k *PrivateKey) Public() PublicKey { return PublicKey{k.k.PublicKey()} }

// ID is the ID of the public half.
func (k *PrivateKey) ID() KeyID { return k.Public().ID() }

// PublicKeyFromBytes parses a 32-byte X25519 public key. A low-order point
// parses but cannot be sealed to: Seal reports it.
func PublicKeyFromBytes(b []byte) (PublicKey, error) {
	k, err := ecdh.X25519().NewPublicKey(b)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: public key must be %d bytes, got %d", ErrBadKey, KeySize, len(b))
	}
	return PublicKey{k}, nil
}

// Bytes is the 32-byte encoding.
func (p PublicKey) Bytes() []byte {
	if p.k == nil {
		return nil
	}
	return p.k.Bytes()
}

// ID is keccak256(domain || key).
func (p PublicKey) ID() KeyID {
	return KeyID(crypto.Keccak256Hash([]byte(keyIDDomain), p.Bytes()))
}

// MarshalText writes the key as 0x-prefixed hex, for configs and RPC.
func (p PublicKey) MarshalText() ([]byte, error) {
	if p.k == nil {
		return nil, fmt.Errorf("%w: empty public key", ErrBadKey)
	}
	return []byte("0x" + hex.EncodeToString(p.Bytes())), nil
}

// UnmarshalText reads what MarshalText writes.
func (p *PublicKey) UnmarshalText(text []byte) error {
	s := string(text)
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: not hex: %v", ErrBadKey, err)
	}
	k, err := PublicKeyFromBytes(b)
	if err != nil {
		return err
	}
	*p = k
	return nil
}
