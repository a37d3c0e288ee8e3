package private

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Errors a recipient gets from Open, one per way an envelope can have been
// altered after it was sealed, checked in this order.
var (
	ErrNotRecipient     = errors.New("private: not a recipient of this envelope")
	ErrWrappedKeyMoved  = errors.New("private: wrapped keys were swapped between recipients")
	ErrWrappedKeyBroken = errors.New("private: wrapped key does not open with this key")
	ErrContextAltered   = errors.New("private: envelope's subnet or chain ID was changed after sealing")
	ErrOriginAltered    = errors.New("private: envelope's sender or nonce was changed after sealing")
	ErrReaddressed      = errors.New("private: envelope's recipient list was changed after sealing")
	ErrKeyCommitment    = errors.New("private: payload is encrypted under another content key than the one wrapped")
	ErrPayloadTampered  = errors.New("private: payload ciphertext was altered")
	ErrSenderKey        = errors.New("private: signing key is not the header's sender")
)

// The HPKE suite of every wrapped key: RFC 9180 base mode, DHKEM(X25519,
// HKDF-SHA256), HKDF-SHA256, AES-256-GCM, from Go's crypto/hpke.
var (
	wrapKDF  = hpke.HKDFSHA256()
	wrapAEAD = hpke.AES256GCM()
)

// Domain tags; the "v1" moves with Version.
const (
	domainSigning    = "aspen/private/v1/envelope"
	domainHeader     = "aspen/private/v1/header"
	domainWrap       = "aspen/private/v1/wrap"
	domainPayload    = "aspen/private/v1/payload"
	domainCommit     = "aspen/private/v1/key-commit"
	domainContext    = "aspen/private/v1/context"
	domainOrigin     = "aspen/private/v1/origin"
	domainRecipients = "aspen/private/v1/recipients"
)

// Seal encrypts payload to the given keys. hdr names the context, the nonce
// and (optionally) the sender; Seal fills Sender from signer and Recipients
// from to (sorted by key ID), so hdr.Recipients must be empty. A fresh random
// seed gives the content key; it is wrapped, with digests of the header's
// parts, to each recipient with HPKE.
func Seal(payload []byte, to []PublicKey, hdr Header, signer *ecdsa.PrivateKey) (*Envelope, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrPayloadTooLong, len(payload), MaxPayload)
	}
	if _, err := types.ParseSubnetID(string(hdr.Subnet)); err != nil {
		return nil, fmt.Errorf("private: seal: %w", err)
	}
	from := crypto.PubkeyToAddress(signer.PublicKey)
	if hdr.Sender != (common.Address{}) && hdr.Sender != from {
		return nil, fmt.Errorf("%w: header names %s, key is %s", ErrSenderKey, hdr.Sender, from)
	}
	hdr.Sender = from
	if len(hdr.Recipients) > 0 {
		return nil, fmt.Errorf("%w: leave Header.Recipients empty, Seal derives them from the keys", ErrBadRecipients)
	}
	keys := slices.Clone(to)
	slices.SortFunc(keys, byKeyID)
	for _, k := range keys {
		if k.k == nil {
			return nil, fmt.Errorf("%w: empty recipient key", ErrBadRecipients)
		}
		hdr.Recipients = append(hdr.Recipients, k.ID())
	}
	if err := checkRecipients(hdr.Recipients); err != nil {
		return nil, err // duplicates show as "not strictly ascending"
	}

	seed := make([]byte, seedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("private: seal: random seed: %w", err)
	}
	env := &Envelope{Header: hdr}
	aead, nonce, commit, err := contentKey(seed)
	if err != nil {
		return nil, err
	}
	env.KeyCommit = commit
	hh := hdr.hash()
	env.Ciphertext = aead.Seal(nil, nonce, payload, hh[:])

	plain := append(slices.Clone(seed), hdr.binding()...)
	for i, k := range keys {
		pk, err := hpke.NewDHKEMPublicKey(k.k)
		if err != nil {
			return nil, fmt.Errorf("private: seal: recipient %s: %w", hdr.Recipients[i], err)
		}
		w, err := hpke.Seal(pk, wrapKDF, wrapAEAD, wrapInfo(hdr.Recipients[i]), plain)
		if err != nil {
			return nil, fmt.Errorf("%w: cannot seal to recipient %s (a low-order key?): %v", ErrBadKey, hdr.Recipients[i], err)
		}
		if len(w) != WrapSize {
			panic(fmt.Sprintf("private: wrap is %d bytes, layout says %d", len(w), WrapSize))
		}
		env.Wraps = append(env.Wraps, w)
	}
	h := env.SigningHash()
	if env.Signature, err = crypto.Sign(h[:], signer); err != nil {
		return nil, fmt.Errorf("private: seal: sign: %w", err)
	}
	return env, nil
}

// Open decrypts the payload for the holder of me, after checking, in order:
// the structure, the context (chain and subnet), that me is a recipient, its
// wrapped key, the header against the digests sealed inside that wrap, the
// key commitment, the payload's tag and last the sender's signature. The
// error names the first check that failed, so a tampered envelope says how it
// was tampered with. Open does not track nonces: run a ReplayGuard in log
// order beside it.
func Open(env *Envelope, ctx Context, me *PrivateKey) ([]byte, error) {
	if err := env.CheckStructure(); err != nil {
		return nil, err
	}
	if err := env.CheckContext(ctx); err != nil {
		return nil, err
	}
	id := me.ID()
	i, found := slices.BinarySearchFunc(env.Recipients, id, KeyID.Compare)
	if !found {
		return nil, fmt.Errorf("%w: key %s is not among its %d recipients", ErrNotRecipient, id, len(env.Recipients))
	}
	sk, err := hpke.NewDHKEMPrivateKey(me.k)
	if err != nil {
		return nil, fmt.Errorf("private: open: %w", err)
	}
	plain, err := hpke.Open(sk, wrapKDF, wrapAEAD, wrapInfo(id), env.Wraps[i])
	if err != nil {
		for j, w := range env.Wraps {
			if j != i {
				if _, err := hpke.Open(sk, wrapKDF, wrapAEAD, wrapInfo(id), w); err == nil {
					return nil, fmt.Errorf("%w: the key wrapped for %s sits at position %d, not %d", ErrWrappedKeyMoved, id, j, i)
				}
			}
		}
		return nil, fmt.Errorf("%w: wrapped key %d was altered or sealed to another key", ErrWrappedKeyBroken, i)
	}
	seed, sealed := plain[:seedSize], plain[seedSize:]
	have := env.binding()
	switch {
	case subtle.ConstantTimeCompare(sealed[0:32], have[0:32]) != 1:
		return nil, fmt.Errorf("%w: it now names chain %d, %s", ErrContextAltered, env.ChainID, env.Subnet)
	case subtle.ConstantTimeCompare(sealed[32:64], have[32:64]) != 1:
		return nil, fmt.Errorf("%w: it now names %s, nonce %d", ErrOriginAltered, env.Sender, env.Nonce)
	case subtle.ConstantTimeCompare(sealed[64:96], have[64:96]) != 1:
		return nil, fmt.Errorf("%w: it now names %d recipients", ErrReaddressed, len(env.Recipients))
	}
	aead, nonce, commit, err := contentKey(seed)
	if err != nil {
		return nil, err
	}
	if commit != env.KeyCommit {
		return nil, fmt.Errorf("%w: commitment %s, the wrapped key gives %s", ErrKeyCommitment, env.KeyCommit, commit)
	}
	hh := env.Header.hash()
	payload, err := aead.Open(nil, nonce, env.Ciphertext, hh[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes fail the GCM tag", ErrPayloadTampered, len(env.Ciphertext))
	}
	if err := env.checkSignature(); err != nil {
		return nil, err
	}
	return payload, nil
}

// Verify runs the checks that need no decryption key: structure, context and
// the sender's signature. Validators run it before they order an envelope.
func Verify(env *Envelope, ctx Context) error {
	if err := env.CheckStructure(); err != nil {
		return err
	}
	if err := env.CheckContext(ctx); err != nil {
		return err
	}
	return env.checkSignature()
}

func (e *Envelope) checkSignature() error {
	if len(e.Signature) != SignatureSize {
		return fmt.Errorf("%w: signature is %d bytes", ErrBadSignature, len(e.Signature))
	}
	addr, err := recoverSigner(e.SigningHash(), e.Signature)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if addr != e.Sender {
		return fmt.Errorf("%w: signed by %s, header names %s", ErrBadSignature, addr, e.Sender)
	}
	return nil
}

// recoverSigner returns the address of a low-S [R || S || V] signature's key.
func recoverSigner(h common.Hash, sig []byte) (common.Address, error) {
	if len(sig) != SignatureSize {
		return common.Address{}, fmt.Errorf("signature is %d bytes, want %d", len(sig), SignatureSize)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return common.Address{}, errors.New("signature values out of range (high S or bad V)")
	}
	pub, err := crypto.SigToPub(h[:], sig)
	if err != nil {
		return common.Address{}, err
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// ID names the envelope for the mediator and the log. It is the signing
// hash, so it covers everything but the signature and cannot be malleated.
func (e *Envelope) ID() common.Hash { return e.SigningHash() }

// SigningHash is keccak256(domain || RLP of every field but the signature).
func (e *Envelope) SigningHash() common.Hash {
	w := e.wire()
	return rlpHash(domainSigning, []any{w.Version, w.ChainID, w.Subnet, w.Sender, w.Nonce, w.Recipients,
		w.Wraps, w.KeyCommit, w.Ciphertext})
}

// hash is the payload's associated data: the whole header.
func (h *Header) hash() common.Hash {
	return rlpHash(domainHeader, []any{uint8(Version), h.ChainID, string(h.Subnet), h.Sender, h.Nonce, h.Recipients})
}

// binding is what a wrap seals beside the seed: one digest per part of the
// header, so Open can say which part changed.
func (h *Header) binding() []byte {
	c := rlpHash(domainContext, []any{h.ChainID, string(h.Subnet)})
	o := rlpHash(domainOrigin, []any{h.Sender, h.Nonce})
	r := rlpHash(domainRecipients, h.Recipients)
	return slices.Concat(c[:], o[:], r[:])
}

func rlpHash(domain string, v any) common.Hash {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic(fmt.Sprintf("private: rlp of fixed shapes cannot fail: %v", err))
	}
	return crypto.Keccak256Hash([]byte(domain), b)
}

// wrapInfo is the HPKE info of the wrap for id: a wrap opens only under the
// key it was sealed to and only as that key's wrap.
func wrapInfo(id KeyID) []byte { return append([]byte(domainWrap), id[:]...) }

// contentKey derives from a seed the payload's AES-256-GCM key and nonce and
// the key commitment. A seed encrypts exactly one payload, so a derived nonce
// is never reused.
func contentKey(seed []byte) (cipher.AEAD, []byte, common.Hash, error) {
	km, err := hkdf.Key(sha256.New, seed, nil, domainPayload, 32+12)
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("private: derive content key: %w", err)
	}
	c, err := hkdf.Key(sha256.New, seed, nil, domainCommit, 32)
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("private: derive key commitment: %w", err)
	}
	block, err := aes.NewCipher(km[:32])
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("private: content cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, common.Hash{}, fmt.Errorf("private: content cipher: %w", err)
	}
	return gcm, km[32:], common.BytesToHash(c), nil
}
