package private

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Errors of the replay guard.
var (
	ErrReplay   = errors.New("private: envelope replayed (nonce already used)")
	ErrNonceGap = errors.New("private: envelope nonce skips ahead")
)

// ReplayGuard admits each sender's envelopes once and in order on one subnet:
// nonces run 0, 1, 2, ... per sender, like account nonces. It is a pure value
// fed in log order, so a participant rebuilding from the log rebuilds it too.
// Its size grows with the number of senders, not of envelopes.
type ReplayGuard struct {
	ctx  Context
	next map[common.Address]uint64
}

// NewReplayGuard returns a guard for the subnet and chain of ctx.
func NewReplayGuard(ctx Context) *ReplayGuard {
	return &ReplayGuard{ctx: ctx, next: make(map[common.Address]uint64)}
}

// Check reports whether h would be admitted, without recording it.
func (g *ReplayGuard) Check(h *Header) error {
	if err := h.CheckContext(g.ctx); err != nil {
		return err
	}
	want := g.next[h.Sender]
	switch {
	case h.Nonce < want:
		return fmt.Errorf("%w: %s nonce %d, next is %d", ErrReplay, h.Sender, h.Nonce, want)
	case h.Nonce > want:
		return fmt.Errorf("%w: %s nonce %d, next is %d; send the missing envelopes first", ErrNonceGap, h.Sender, h.Nonce, want)
	}
	return nil
}

// Admit checks h and records its nonce as used.
func (g *ReplayGuard) Admit(h *Header) error {
	if err := g.Check(h); err != nil {
		return err
	}
	g.next[h.Sender] = h.Nonce + 1
	return nil
}

// Next is the nonce the guard expects next from sender: what a wallet's node
// puts in its next envelope.
func (g *ReplayGuard) Next(sender common.Address) uint64 { return g.next[sender] }
