package private

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Verdict is a recipient's answer to an envelope.
type Verdict uint8

const (
	// Confirm: the recipient executed the payload and reports the hash of
	// its resulting group state.
	Confirm Verdict = 1
	// Reject: the recipient cannot or will not apply it (invalid tx, bad
	// envelope, conflicting state).
	Reject Verdict = 2
)

func (v Verdict) String() string {
	switch v {
	case Confirm:
		return "confirm"
	case Reject:
		return "reject"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

const domainConfirmation = "aspen/private/v1/confirmation"

// Confirmation is what a recipient's node sends the mediator about one
// envelope. It is signed with the recipient's secp256k1 account key: the key
// that registered its encryption key on the gateway and that every node can
// already check (ecrecover), so no second signing-key registry is needed.
type Confirmation struct {
	Envelope  common.Hash
	Recipient common.Address
	Verdict   Verdict
	// StateHash is the hash of the recipient's group state after applying
	// the payload; zero with Reject.
	StateHash common.Hash
	Signature []byte
}

// SigningHash covers every field but the signature. The envelope ID already
// binds the chain and subnet.
func (c *Confirmation) SigningHash() common.Hash {
	return rlpHash(domainConfirmation, []any{c.Envelope, c.Recipient, uint8(c.Verdict), c.StateHash})
}

// SignConfirmation fills in the recipient's address and signature.
func SignConfirmation(c Confirmation, key *ecdsa.PrivateKey) (Confirmation, error) {
	c.Recipient = crypto.PubkeyToAddress(key.PublicKey)
	h := c.SigningHash()
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return Confirmation{}, fmt.Errorf("private: sign confirmation: %w", err)
	}
	c.Signature = sig
	return c, nil
}

// checkSignature reports whether Recipient signed c.
func (c *Confirmation) checkSignature() error {
	addr, err := recoverSigner(c.SigningHash(), c.Signature)
	if err != nil {
		return err
	}
	if addr != c.Recipient {
		return fmt.Errorf("signed by %s, not by %s", addr, c.Recipient)
	}
	return nil
}
