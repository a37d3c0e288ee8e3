package types

import (
	"errors"
	"fmt"
)

// ErrBadBody is returned when a block's body is not the one its header
// commits to. Whoever signed or certified the block signed its header only,
// so this is the fault of whoever handed the block over (a relay, a sync
// peer), never the signer's.
var ErrBadBody = errors.New("types: block body does not match its header")

// CheckBody reports whether b's body is the one its header commits to: the
// evidence against EvidenceHash, then each of checks in order (an engine's
// limits, an application's part such as CheckTxRoot; nil ones are skipped).
// Every failure wraps ErrBadBody. It is cheap and deterministic: a node runs
// it on every block it did not build, before paying for a signature.
func CheckBody(b *Block, checks ...func(*Block) error) error {
	if EvidenceHash(b.Evidence) != b.Header.EvidenceHash {
		return fmt.Errorf("%w: evidence does not match the header's evidence hash", ErrBadBody)
	}
	for _, check := range checks {
		if check == nil {
			continue
		}
		if err := check(b); err != nil {
			if errors.Is(err, ErrBadBody) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrBadBody, err)
		}
	}
	return nil
}

// CheckTxRoot reports whether b's transactions are the ones its header's
// TxRoot commits to: the EVM chain's part of CheckBody.
func CheckTxRoot(b *Block) error {
	if root := TxRoot(b.Txs); root != b.Header.TxRoot {
		return fmt.Errorf("transactions hash to %s, header says %s", root, b.Header.TxRoot)
	}
	return nil
}
