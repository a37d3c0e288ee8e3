package node

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/gateway"
)

// AtomicLegStatus is one leg of aspen_getAtomic: what the mediator holds
// of it, and its state on its own subnet when this node serves that subnet.
type AtomicLegStatus struct {
	Subnet string         `json:"subnet"`
	To     common.Address `json:"to"`
	Value  *hexutil.Big   `json:"value"`
	Data   hexutil.Bytes  `json:"data"`
	Vote   string         `json:"vote"`            // none, yes, no, late (on the mediator)
	State  string         `json:"state,omitempty"` // unknown, prepared, committed, aborted, commit-failed; "" if not served here
	Height hexutil.Uint64 `json:"height,omitempty"`
}

// AtomicStatus is aspen_getAtomic's answer.
type AtomicStatus struct {
	ID        common.Hash       `json:"id"`
	Mediator  string            `json:"mediator"`
	Status    string            `json:"status"` // preparing, committed, aborted
	Submitter common.Address    `json:"submitter"`
	Deadline  hexutil.Uint64    `json:"deadline"`
	DecidedAt hexutil.Uint64    `json:"decidedAt"`
	Height    hexutil.Uint64    `json:"height"` // the mediator's head it was read at
	Legs      []AtomicLegStatus `json:"legs"`
}

// GetAtomic is aspen_getAtomic(id): the atomic plan id, read on whichever
// subnet this node serves mediates it, with the state of each leg whose
// subnet it serves too (at their heads, final or not).
func (a *aspenAPI) GetAtomic(id common.Hash) (*AtomicStatus, error) {
	rts := a.n.runtimeList()
	for _, rt := range rts {
		head := rt.head.Load()
		st, err := rt.exec.GatewayState(head)
		if err != nil {
			return nil, err
		}
		p := gateway.ReadAtomicPlan(st, id)
		if p.Status == gateway.AtomicNone {
			continue
		}
		out := &AtomicStatus{ID: id, Mediator: string(rt.id), Status: p.Status.String(), Submitter: p.Submitter,
			Deadline: hexutil.Uint64(p.Deadline), DecidedAt: hexutil.Uint64(p.DecidedAt), Height: hexutil.Uint64(head.Height)}
		for i, l := range p.Legs {
			ls := AtomicLegStatus{Subnet: l.Subnet, To: l.To, Value: (*hexutil.Big)(l.Value), Data: l.Data, Vote: p.Votes[i].String()}
			for _, leg := range rts {
				if string(leg.id) != l.Subnet {
					continue
				}
				lh := leg.head.Load()
				lst, err := leg.exec.GatewayState(lh)
				if err != nil {
					return nil, err
				}
				ls.State = gateway.ReadAtomicLeg(lst, string(rt.id), id, uint64(i)).State.String()
				ls.Height = hexutil.Uint64(lh.Height)
			}
			out.Legs = append(out.Legs, ls)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no subnet this node serves mediates atomic plan %s (ask a node of the plan's mediator)", id)
}
