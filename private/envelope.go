package private

import (
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Version is the envelope layout this package writes and reads.
const Version = 1

// Bounds on an envelope, checked on the raw bytes and on the decoded fields
// before any cryptography runs.
const (
	// MaxRecipients is the most keys one envelope may be sealed to.
	MaxRecipients = 32
	// MaxPayload is the largest plaintext: geth's own cap on one transaction.
	MaxPayload = 128 * 1024
	// WrapSize is the length of one wrapped key: the HPKE encapsulated key
	// (32), then seed and binding (128) sealed with a 16-byte GCM tag.
	WrapSize = KeySize + wrapPlainSize + tagSize
	// SignatureSize is a secp256k1 [R || S || V] signature.
	SignatureSize = 65
	// MaxEnvelopeSize bounds the encoded envelope: the largest payload and
	// recipient list, plus room for the fixed fields and RLP headers.
	MaxEnvelopeSize = MaxPayload + tagSize + MaxRecipients*(32+WrapSize+6) + 1024
)

const (
	tagSize       = 16
	seedSize      = 32
	wrapPlainSize = seedSize + 3*32
)

// Errors of decoding and of the checks every node (validators included) can
// run without a key. Each says what was wrong.
var (
	ErrTooLarge       = errors.New("private: envelope too large")
	ErrTruncated      = errors.New("private: envelope truncated")
	ErrMalformed      = errors.New("private: malformed envelope")
	ErrVersion        = errors.New("private: unsupported envelope version")
	ErrWrongChain     = errors.New("private: envelope sealed for another chain")
	ErrWrongSubnet    = errors.New("private: envelope sealed for another subnet")
	ErrBadSignature   = errors.New("private: envelope not signed by its sender")
	ErrBadRecipients  = errors.New("private: bad recipient list")
	ErrPayloadTooLong = errors.New("private: payload too long")
)

// Context is where an envelope is valid: one subnet, under its chain ID. A
// node opens and verifies envelopes only against its own context, so an
// envelope posted on one subnet is refused on every other.
type Context struct {
	ChainID uint64
	Subnet  types.SubnetID
}

// Header is the clear part of an envelope: what validators order and see.
type Header struct {
	Context
	// Sender is the participant's account: it signs the envelope.
	Sender common.Address
	// Nonce counts the sender's envelopes on this subnet from 0; a
	// ReplayGuard admits each (sender, nonce) once, in order.
	Nonce uint64
	// Recipients are the key IDs the content key is wrapped to, strictly
	// ascending. Wraps[i] belongs to Recipients[i].
	Recipients []KeyID
}

// Envelope is one private transaction as the chain stores it: a header in the
// clear, the content key wrapped to each recipient, the payload encrypted
// under it, and the sender's signature over all of that.
type Envelope struct {
	Header
	// Wraps holds one WrapSize HPKE ciphertext per recipient.
	Wraps [][]byte
	// KeyCommit commits to the content key, so every recipient provably
	// decrypts the one payload (AES-GCM alone is not key-committing).
	KeyCommit common.Hash
	// Ciphertext is the AES-256-GCM encrypted payload, header bound as
	// associated data.
	Ciphertext []byte
	// Signature is the sender's secp256k1 signature over SigningHash.
	Signature []byte
}

// wire is the RLP layout; its first field is the version, so a reader can
// refuse a layout it does not know before decoding the rest.
type wire struct {
	Version    uint8
	ChainID    uint64
	Subnet     string
	Sender     common.Address
	Nonce      uint64
	Recipients []KeyID
	Wraps      [][]byte
	KeyCommit  common.Hash
	Ciphertext []byte
	Signature  []byte
}

func (e *Envelope) wire() *wire {
	return &wire{Version, e.ChainID, string(e.Subnet), e.Sender, e.Nonce, e.Recipients,
		e.Wraps, e.KeyCommit, e.Ciphertext, e.Signature}
}

// Encode writes the envelope's canonical bytes.
func (e *Envelope) Encode() ([]byte, error) {
	b, err := rlp.EncodeToBytes(e.wire())
	if err != nil {
		return nil, fmt.Errorf("private: encode envelope: %w", err)
	}
	return b, nil
}

// DecodeEnvelope parses an envelope from untrusted bytes. It bounds the input
// before decoding and checks the structure (CheckStructure) after, so no
// cryptography ever runs on an oversized or ill-formed envelope.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(b), MaxEnvelopeSize)
	}
	kind, content, rest, err := rlp.Split(b)
	switch {
	case errors.Is(err, rlp.ErrValueTooLarge) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: %d bytes, the outer list says more", ErrTruncated, len(b))
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	case kind != rlp.List:
		return nil, fmt.Errorf("%w: not an RLP list", ErrMalformed)
	case len(rest) > 0:
		return nil, fmt.Errorf("%w: %d bytes after the envelope", ErrMalformed, len(rest))
	}
	v, _, err := rlp.SplitUint64(content)
	if err != nil {
		return nil, fmt.Errorf("%w: version: %v", ErrMalformed, err)
	}
	if v != Version {
		return nil, fmt.Errorf("%w: %d (this node reads version %d)", ErrVersion, v, Version)
	}
	var w wire
	if err := rlp.DecodeBytes(b, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	e := &Envelope{
		Header: Header{Context: Context{w.ChainID, types.SubnetID(w.Subnet)}, Sender: w.Sender,
			Nonce: w.Nonce, Recipients: w.Recipients},
		Wraps: w.Wraps, KeyCommit: w.KeyCommit, Ciphertext: w.Ciphertext, Signature: w.Signature,
	}
	if err := e.CheckStructure(); err != nil {
		return nil, err
	}
	return e, nil
}

// CheckStructure checks what needs no key and no signature: the subnet ID,
// the recipient list (1..MaxRecipients, strictly ascending), one wrap of
// WrapSize per recipient, the payload length and the signature length.
func (e *Envelope) CheckStructure() error {
	if _, err := types.ParseSubnetID(string(e.Subnet)); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := checkRecipients(e.Recipients); err != nil {
		return err
	}
	if len(e.Wraps) != len(e.Recipients) {
		return fmt.Errorf("%w: %d wrapped keys for %d recipients", ErrMalformed, len(e.Wraps), len(e.Recipients))
	}
	for i, w := range e.Wraps {
		if len(w) != WrapSize {
			return fmt.Errorf("%w: wrapped key %d is %d bytes, want %d", ErrMalformed, i, len(w), WrapSize)
		}
	}
	if n := len(e.Ciphertext) - tagSize; n < 0 || n > MaxPayload {
		return fmt.Errorf("%w: ciphertext of %d bytes (payload at most %d)", ErrPayloadTooLong, len(e.Ciphertext), MaxPayload)
	}
	if len(e.Signature) != SignatureSize {
		return fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(e.Signature), SignatureSize)
	}
	return nil
}

func checkRecipients(ids []KeyID) error {
	if len(ids) == 0 || len(ids) > MaxRecipients {
		return fmt.Errorf("%w: %d recipients, want 1 to %d", ErrBadRecipients, len(ids), MaxRecipients)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1].Compare(ids[i]) >= 0 {
			return fmt.Errorf("%w: key IDs must be strictly ascending (%s then %s)", ErrBadRecipients, ids[i-1], ids[i])
		}
	}
	return nil
}

// CheckContext refuses an envelope sealed for another chain or subnet than
// ctx: the check that stops an envelope replayed across subnets.
func (h *Header) CheckContext(ctx Context) error {
	if h.ChainID != ctx.ChainID {
		return fmt.Errorf("%w: it names chain %d, this is chain %d", ErrWrongChain, h.ChainID, ctx.ChainID)
	}
	if h.Subnet != ctx.Subnet {
		return fmt.Errorf("%w: it names %s, this is %s", ErrWrongSubnet, h.Subnet, ctx.Subnet)
	}
	return nil
}
