package private

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// MaxConfirmationSize bounds an encoded confirmation: three words, a byte
// and a signature, with RLP headers.
const MaxConfirmationSize = 3*33 + 2 + SignatureSize + 8

// confirmationWire is the RLP layout of a Confirmation on the chain.
type confirmationWire struct {
	Envelope  common.Hash
	Recipient common.Address
	Verdict   uint8
	StateHash common.Hash
	Signature []byte
}

// Encode writes the confirmation as the registry's confirm takes it.
func (c *Confirmation) Encode() ([]byte, error) {
	b, err := rlp.EncodeToBytes(&confirmationWire{c.Envelope, c.Recipient, uint8(c.Verdict), c.StateHash, c.Signature})
	if err != nil {
		return nil, fmt.Errorf("private: encode confirmation: %w", err)
	}
	return b, nil
}

// DecodeConfirmation parses a confirmation from untrusted bytes and checks
// its verdict and its signature: what it returns was signed by Recipient.
func DecodeConfirmation(b []byte) (Confirmation, error) {
	if len(b) > MaxConfirmationSize {
		return Confirmation{}, fmt.Errorf("%w: confirmation of %d bytes, at most %d", ErrTooLarge, len(b), MaxConfirmationSize)
	}
	var w confirmationWire
	if err := rlp.DecodeBytes(b, &w); err != nil {
		return Confirmation{}, fmt.Errorf("%w: confirmation: %v", ErrMalformed, err)
	}
	c := Confirmation{Envelope: w.Envelope, Recipient: w.Recipient, Verdict: Verdict(w.Verdict), StateHash: w.StateHash, Signature: w.Signature}
	if c.Verdict != Confirm && c.Verdict != Reject {
		return Confirmation{}, fmt.Errorf("%w: %d from %s", ErrBadVerdict, w.Verdict, c.Recipient)
	}
	if len(c.Signature) != SignatureSize {
		return Confirmation{}, fmt.Errorf("%w: signature of %d bytes", ErrBadConfirmation, len(c.Signature))
	}
	if err := c.checkSignature(); err != nil {
		return Confirmation{}, fmt.Errorf("%w: %v", ErrBadConfirmation, err)
	}
	return c, nil
}
