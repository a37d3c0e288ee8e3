package registry

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Storage layout of the contract account. Every slot it uses is named here:
//
//	key of account a           keccak256("aspen/private/key" ‖ a): the X25519 public key
//	account of key ID k        keccak256("aspen/private/keyid" ‖ k): the address, right-aligned
//	next nonce of sender a     keccak256("aspen/private/nonce" ‖ a): uint64
//	round of envelope id       keccak256("aspen/private/round" ‖ id): status (1) ‖ deadline (8)
//	                           ‖ recipients (4) ‖ confirmed (4), left-aligned
//	agreed state of id         keccak256("aspen/private/state" ‖ id): the first confirmed hash
//	recipient's answer         keccak256("aspen/private/answer" ‖ id ‖ account): 1 expected,
//	                           2 answered; 0: not a recipient
func keySlot(a common.Address) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/private/key"), a[:])
}

func keyIDSlot(id [32]byte) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/private/keyid"), id[:])
}

func nonceSlot(a common.Address) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/private/nonce"), a[:])
}

func roundSlot(id common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/private/round"), id[:])
}

func stateSlot(id common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/private/state"), id[:])
}

func answerSlot(id common.Hash, a common.Address) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/private/answer"), id[:], a[:])
}

// Status is where a round of mediation stands.
type Status uint8

const (
	StatusNone Status = iota
	StatusOpen
	StatusCommitted
	StatusRejected
)

func (s Status) String() string {
	return [...]string{"none", "open", "committed", "rejected"}[min(int(s), 3)]
}

// Round is the mediation of one envelope.
type Round struct {
	Status     Status
	Deadline   uint64 // last block a confirmation counts in
	Recipients uint32
	Confirmed  uint32
	StateHash  common.Hash // the first confirmed state hash
}

func (r Round) word() common.Hash {
	var w common.Hash
	w[0] = byte(r.Status)
	binary.BigEndian.PutUint64(w[1:9], r.Deadline)
	binary.BigEndian.PutUint32(w[9:13], r.Recipients)
	binary.BigEndian.PutUint32(w[13:17], r.Confirmed)
	return w
}

// ReadRound reads the round of envelope id from any committed state.
func ReadRound(st StateReader, id common.Hash) Round {
	w := st.GetState(roundSlot(id))
	return Round{Status: Status(w[0]), Deadline: binary.BigEndian.Uint64(w[1:9]), Recipients: binary.BigEndian.Uint32(w[9:13]),
		Confirmed: binary.BigEndian.Uint32(w[13:17]), StateHash: st.GetState(stateSlot(id))}
}

func writeRound(st State, id common.Hash, r Round) { st.SetState(roundSlot(id), r.word()) }

// KeyOf is the X25519 public key account registered (zero: none).
func KeyOf(st StateReader, account common.Address) [32]byte { return st.GetState(keySlot(account)) }

// AccountOf is the account that registered the key with that ID (zero: none).
func AccountOf(st StateReader, keyID [32]byte) common.Address {
	return common.BytesToAddress(st.GetState(keyIDSlot(keyID)).Bytes())
}

// NextNonce is the envelope nonce the registry expects next from sender.
func NextNonce(st StateReader, sender common.Address) uint64 {
	return binary.BigEndian.Uint64(st.GetState(nonceSlot(sender)).Bytes()[24:])
}

func u64Word(v uint64) common.Hash {
	var w common.Hash
	binary.BigEndian.PutUint64(w[24:], v)
	return w
}
