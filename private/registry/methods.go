package registry

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/private"
)

// method is one IPrivate function and its price beyond the base of every
// call (gas.go).
type method struct {
	run func(x *call, args []any) ([]any, error)
	gas func(st StateReader, args []any) uint64
}

var methods = map[string]method{
	"registerKey": {
		run: func(x *call, args []any) ([]any, error) { return x.registerKey(args[0].([32]byte)) },
		gas: func(StateReader, []any) uint64 { return gasRead*2 + gasWrite*3 + gasEvent },
	},
	"keyOf": {
		run: func(x *call, args []any) ([]any, error) { return []any{KeyOf(x.st, args[0].(common.Address))}, nil },
		gas: func(StateReader, []any) uint64 { return gasRead },
	},
	"accountOf": {
		run: func(x *call, args []any) ([]any, error) { return []any{AccountOf(x.st, args[0].([32]byte))}, nil },
		gas: func(StateReader, []any) uint64 { return gasRead },
	},
	"nextNonce": {
		run: func(x *call, args []any) ([]any, error) { return []any{NextNonce(x.st, args[0].(common.Address))}, nil },
		gas: func(StateReader, []any) uint64 { return gasRead },
	},
	"submitEnvelope": {
		run: func(x *call, args []any) ([]any, error) { return x.submitEnvelope(args[0].([]byte)) },
		gas: func(_ StateReader, args []any) uint64 { return submitGas(args[0].([]byte)) },
	},
	"confirm": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.confirm(args[0].([]byte)) },
		gas: func(StateReader, []any) uint64 {
			return params.EcrecoverGas + gasKeccak*2 + gasRead*4 + gasWrite*3 + gasEvent*2
		},
	},
	"expire": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.expire(args[0].([32]byte)) },
		gas: func(StateReader, []any) uint64 { return gasRead + gasRewrite + gasEvent },
	},
	"round": {
		run: func(x *call, args []any) ([]any, error) {
			r := ReadRound(x.st, args[0].([32]byte))
			return []any{uint8(r.Status), r.Deadline, r.Recipients, r.Confirmed, [32]byte(r.StateHash)}, nil
		},
		gas: func(StateReader, []any) uint64 { return gasRead * 2 },
	},
}

// registerKey binds the caller's account to an X25519 key; calling it again
// replaces the caller's key (the old key ID stops resolving).
func (x *call) registerKey(key [32]byte) ([]any, error) {
	pub, err := private.PublicKeyFromBytes(key[:])
	if err != nil || key == [32]byte{} {
		return nil, fmt.Errorf("%w: %x is not an X25519 public key", ErrBadKey, key)
	}
	id := pub.ID()
	if owner := AccountOf(x.st, id); owner != (common.Address{}) && owner != x.c.Caller {
		return nil, fmt.Errorf("%w: %s holds it; generate a key of your own (aspen private keygen)", ErrKeyTaken, owner)
	}
	if old := KeyOf(x.st, x.c.Caller); old != ([32]byte{}) {
		if oldPub, err := private.PublicKeyFromBytes(old[:]); err == nil {
			x.st.SetState(keyIDSlot(oldPub.ID()), common.Hash{})
		}
	}
	x.st.SetState(keySlot(x.c.Caller), key)
	x.st.SetState(keyIDSlot(id), common.BytesToHash(x.c.Caller.Bytes()))
	x.emit("KeyRegistered", []common.Hash{common.BytesToHash(x.c.Caller.Bytes()), common.Hash(id)}, key)
	return []any{[32]byte(id)}, nil
}

// submitEnvelope runs the checks that need no key (private.Verify: size,
// structure, chain and subnet, sender signature), the sender's nonce, and
// resolves every recipient's key ID to its account; then it opens the round
// and logs the envelope, ciphertext only.
func (x *call) submitEnvelope(b []byte) ([]any, error) {
	env, err := private.DecodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	if err := private.Verify(env, x.r.ctx); err != nil {
		return nil, err
	}
	switch next := NextNonce(x.st, env.Sender); {
	case env.Nonce < next:
		return nil, fmt.Errorf("%w: %s nonce %d, next is %d", private.ErrReplay, env.Sender, env.Nonce, next)
	case env.Nonce > next:
		return nil, fmt.Errorf("%w: %s nonce %d, next is %d", private.ErrNonceGap, env.Sender, env.Nonce, next)
	}
	id := env.ID()
	accounts := make([]common.Address, len(env.Recipients))
	for i, k := range env.Recipients {
		if accounts[i] = AccountOf(x.st, k); accounts[i] == (common.Address{}) {
			return nil, fmt.Errorf("%w: %s; its owner must registerKey first", ErrUnknownRecipient, k)
		}
		if x.st.GetState(answerSlot(id, accounts[i])) != (common.Hash{}) {
			return nil, fmt.Errorf("%w: account %s holds two of its keys", ErrUnknownRecipient, accounts[i])
		}
		x.st.SetState(answerSlot(id, accounts[i]), u64Word(1))
	}
	x.st.SetState(nonceSlot(env.Sender), u64Word(env.Nonce+1))
	deadline := x.st.BlockNumber() + DeadlineBlocks
	writeRound(x.st, id, Round{Status: StatusOpen, Deadline: deadline, Recipients: uint32(len(accounts))})
	x.emit("EnvelopeSubmitted", []common.Hash{id, common.BytesToHash(env.Sender.Bytes())}, env.Nonce, deadline, b)
	return []any{[32]byte(id)}, nil
}

// confirm records a recipient's signed answer; the round is decided at the
// first reject or disagreeing hash, or when every recipient confirmed the
// same hash. Anyone may relay a confirmation: the signature is the
// recipient's.
func (x *call) confirm(b []byte) error {
	c, err := private.DecodeConfirmation(b)
	if err != nil {
		return err
	}
	r := ReadRound(x.st, c.Envelope)
	now := x.st.BlockNumber()
	switch ans := x.st.GetState(answerSlot(c.Envelope, c.Recipient)); {
	case r.Status != StatusOpen:
		return fmt.Errorf("%w: %s is %s", ErrNotOpen, c.Envelope, r.Status)
	case now > r.Deadline:
		return fmt.Errorf("%w: block %d, deadline %d; call expire", ErrLate, now, r.Deadline)
	case ans == (common.Hash{}):
		return fmt.Errorf("%w: %s", ErrNotRecipient, c.Recipient)
	case ans != u64Word(1):
		return fmt.Errorf("%w: %s", ErrAnswered, c.Recipient)
	}
	x.st.SetState(answerSlot(c.Envelope, c.Recipient), u64Word(2))
	x.emit("Confirmed", []common.Hash{c.Envelope, common.BytesToHash(c.Recipient.Bytes())}, uint8(c.Verdict), [32]byte(c.StateHash))
	switch {
	case c.Verdict == private.Reject:
		x.decide(c.Envelope, r, StatusRejected, fmt.Sprintf("%s rejected", c.Recipient))
	case r.Confirmed > 0 && c.StateHash != r.StateHash:
		x.decide(c.Envelope, r, StatusRejected, fmt.Sprintf("%s reports state %s, others %s", c.Recipient, c.StateHash, r.StateHash))
	default:
		if r.Confirmed == 0 {
			x.st.SetState(stateSlot(c.Envelope), c.StateHash)
			r.StateHash = c.StateHash
		}
		r.Confirmed++
		if r.Confirmed == r.Recipients {
			x.decide(c.Envelope, r, StatusCommitted, fmt.Sprintf("all %d recipients confirmed", r.Confirmed))
		} else {
			writeRound(x.st, c.Envelope, r)
		}
	}
	return nil
}

// expire rejects an open round whose deadline passed; anyone may call it.
func (x *call) expire(id common.Hash) error {
	r := ReadRound(x.st, id)
	switch now := x.st.BlockNumber(); {
	case r.Status != StatusOpen:
		return fmt.Errorf("%w: %s is %s", ErrNotOpen, id, r.Status)
	case now <= r.Deadline:
		return fmt.Errorf("%w: block %d, deadline %d", ErrNotExpired, now, r.Deadline)
	}
	x.decide(id, r, StatusRejected, fmt.Sprintf("deadline %d passed with %d of %d confirmed", r.Deadline, r.Confirmed, r.Recipients))
	return nil
}

func (x *call) decide(id common.Hash, r Round, s Status, reason string) {
	r.Status = s
	writeRound(x.st, id, r)
	h := common.Hash{}
	if s == StatusCommitted {
		h = r.StateHash
	}
	x.emit("Verdict", []common.Hash{id}, uint8(s), [32]byte(h), reason)
}
