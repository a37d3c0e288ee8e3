package consensus

import (
	"errors"

	"github.com/aspen-chain/aspen/types"
)

// ErrMalformed is returned (or wrapped) for a peer message that does not
// decode or breaks the engine's rules on its face, whatever the height and
// set: proof that whoever sent it is at fault.
var ErrMalformed = errors.New("consensus: malformed message")

// ErrBadBody is returned (or wrapped) for a block whose body is not the one
// its header commits to (see types.CheckBody): the relay's fault, since a
// proposer or a certificate signs the header only.
var ErrBadBody = types.ErrBadBody

// Gossip is a peer message decoded for a gossip validator, which judges it
// in steps, cheapest first, without knowing the engine: it drops a message
// for a height already decided on Height alone, rejects a Block whose body
// its header does not commit to (Kind.CheckBlockBody), and pays for Verify
// last, caching its answer per payload.
type Gossip struct {
	// Height is the height the message is for.
	Height uint64
	// Block is the block the message proposes, nil if it carries none.
	Block *types.Block
	// Verify checks the sender and its signature against vs, the set the
	// caller believes decides Height: the expensive part. BLS signatures
	// are checked through sigs (nil: crypto.VerifyBLS). Its errors wrap
	// ErrMalformed only when the message is bad under any set.
	Verify func(vs *ValidatorSet, sigs SigVerifier) error
}

// SigVerifier checks a BLS signature as crypto.VerifyBLS does. A node hands
// its gossip gate and its engine the same *crypto.SigCache, which remembers
// the signatures it found valid: a message the gate verified is not
// verified again by the engine, while one that reached the engine another
// way, or differs from what the gate saw in any byte of key, message or
// signature, is checked in full. Its answers are VerifyBLS's, so an engine
// that uses one stays deterministic.
type SigVerifier interface {
	VerifyBLS(pub, msg, sig []byte) bool
}

// EvidenceKeeper is an engine that can hold evidence no block of its own
// chain will carry any more (bft: equivocations of validators a set change
// removed before a block included them). The parent, which knows the
// equivocators by key, can still slash them.
type EvidenceKeeper interface {
	// TakeOrphanedReports returns, once, that evidence as payloads the
	// engine's Kind.Evidence decodes (what the parent's gateway accepts).
	TakeOrphanedReports() [][]byte
}

// CheckBlockBody checks that b's body is the one its header commits to,
// with app's part (for an EVM chain, types.CheckTxRoot): through the
// engine's CheckBody if it has one (it adds its own limits), else
// types.CheckBody. Errors wrap ErrBadBody.
func (k Kind) CheckBlockBody(b *types.Block, app func(*types.Block) error) error {
	if k.CheckBody != nil {
		return k.CheckBody(b, app)
	}
	return types.CheckBody(b, app)
}
