package gateway

import (
	"github.com/ethereum/go-ethereum/common"
)

// Privacy of a child (docs/PRIVACY.md): whether its validators order
// encrypted envelopes of private transactions for participants. It is kept
// beside the child's record, not in Params, so the public SubnetParams tuple
// and every caller of createSubnet stay as they are; the creator sets it with
// setPrivacy before activation, and the child's genesis carries it
// (ChildGenesis.Privacy).

// Privacy is a child's privacy mode.
type Privacy uint8

const (
	// PrivacyPublic is every subnet's default: all state is public.
	PrivacyPublic Privacy = 0
	// PrivacyPrivate: the child's private registry (private/registry) takes
	// participants' keys and envelopes.
	PrivacyPrivate Privacy = 1
)

func (p Privacy) String() string {
	if p == PrivacyPrivate {
		return "private"
	}
	return "public"
}

func privacySlot(name string) common.Hash { return slotOf(tagPrivacy, nameWord(name).Bytes()) }

// ReadPrivacy is the privacy mode of the child name ("" or unknown: public).
func ReadPrivacy(st StateReader, name string) Privacy {
	return Privacy(wordU64(st.GetState(privacySlot(name))))
}

// setPrivacy is IGateway.setPrivacy: the creator chooses the privacy of its
// child while it is Registered. The genesis fixes it: once Active, the
// child's nodes and users rely on it, and its log already holds (or lacks)
// envelopes.
func (x *call) setPrivacy(id string, mode uint8) error {
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	creator := common.BytesToAddress(x.st.GetState(fieldSlot(name, fCreator)).Bytes())
	switch {
	case x.c.Caller != creator:
		return reverted("gateway: only the creator of %s can set its privacy (%s, not %s)", id, creator, x.c.Caller)
	case Privacy(mode) != PrivacyPublic && Privacy(mode) != PrivacyPrivate:
		return reverted("gateway: privacy mode %d is unknown; use 0 (public) or 1 (private)", mode)
	case statusOf(x.st, name) != StatusRegistered:
		return reverted("gateway: %s is %s; its privacy is fixed at activation", id, statusOf(x.st, name))
	}
	x.st.SetState(privacySlot(name), u64Word(uint64(mode)))
	return nil
}
