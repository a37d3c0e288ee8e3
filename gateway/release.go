package gateway

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Pending releases: a validator that leaves an Active subnet is out of the
// set at once (the leave is a new config, queued for the child), but keeps
// its collateral at stake until the child shows, in a committed checkpoint,
// that it applied that config (AppliedConfig >= Config): until then the
// validator may still sign the child's blocks and checkpoints and must stay
// slashable. Leave order is config order, so the releases due are always a
// prefix of the queue.

// PendingRelease is collateral waiting for the child to apply a leave.
type PendingRelease struct {
	Owner  common.Address // who gets it
	Amount *big.Int
	Config uint64 // the config number of the leave
}

func queueRelease(st State, name string, r PendingRelease) {
	i := getU64(st, name, fReleaseCount) + 1
	writeBlob(st, releaseSlot(name, i), mustRLP(PendingRelease{r.Owner, nonNil(r.Amount), r.Config}))
	setU64(st, name, fReleaseCount, i)
}

func readRelease(st StateReader, name string, i uint64) (PendingRelease, error) {
	var r PendingRelease
	if err := rlp.DecodeBytes(readBlob(st, releaseSlot(name, i)), &r); err != nil {
		return PendingRelease{}, fmt.Errorf("gateway: stored pending release %d of %s: %w", i, name, err)
	}
	r.Amount = nonNil(r.Amount)
	return r, nil
}

// releasesDue counts the waiting releases of name whose config is at most
// applied (all of them if all is set), and the slots of their records.
func releasesDue(st StateReader, name string, applied uint64, all bool) (n, slots uint64) {
	for i := getU64(st, name, fReleasePaid) + 1; i <= getU64(st, name, fReleaseCount); i++ {
		b := readBlob(st, releaseSlot(name, i))
		if !all {
			var r PendingRelease
			if rlp.DecodeBytes(b, &r) != nil || r.Config > applied {
				break
			}
		}
		n++
		slots += blobSlots(len(b))
	}
	return n, slots
}

// payReleases pays, in queue order, the waiting releases of name whose
// config is at most applied (every one if all is set), each with a
// ValidatorLeft event.
func (x *call) payReleases(name string, applied uint64, all bool) error {
	paid, count := getU64(x.st, name, fReleasePaid), getU64(x.st, name, fReleaseCount)
	for ; paid < count; paid++ {
		r, err := readRelease(x.st, name, paid+1)
		if err != nil {
			return err
		}
		if !all && r.Config > applied {
			break
		}
		if err := x.st.Transfer(Address, r.Owner, r.Amount); err != nil {
			return fmt.Errorf("gateway: releasing the collateral of %s: %w", r.Owner, err)
		}
		clearBlob(x.st, releaseSlot(name, paid+1))
		x.emit("ValidatorLeft", []common.Hash{addrTopic(r.Owner)}, x.id(name), r.Amount)
	}
	setU64(x.st, name, fReleasePaid, paid)
	return nil
}

// ReadPendingReleases returns the collateral of validators that left the
// child id of the chain self and waits for a checkpoint showing the child
// applied their leave, oldest first.
func ReadPendingReleases(st StateReader, self, id types.SubnetID) ([]PendingRelease, error) {
	name, err := childName(self, id)
	if err != nil {
		return nil, err
	}
	if !exists(st, name) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSubnet, id)
	}
	var out []PendingRelease
	for i := getU64(st, name, fReleasePaid) + 1; i <= getU64(st, name, fReleaseCount); i++ {
		r, err := readRelease(st, name, i)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
