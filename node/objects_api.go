package node

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/optimistic"
)

// ObjectClaim is one claim an object depends on (or is pending on).
type ObjectClaim struct {
	Subnet string         `json:"subnet"`
	Height hexutil.Uint64 `json:"height"`
	Hash   common.Hash    `json:"hash"`
}

// ObjectStatus is aspen_getObject's answer: an object of the objects
// manager (docs/CROSSNET.md, "Optimistic moves") as stored at a subnet's
// head, final or not.
type ObjectStatus struct {
	ID      common.Hash    `json:"id"`
	Subnet  string         `json:"subnet"`
	Height  hexutil.Uint64 `json:"height"` // the head it was read at
	Kind    string         `json:"kind"`   // native, erc20, generic
	Owner   common.Address `json:"owner"`
	Token   common.Address `json:"token"`
	Amount  *hexutil.Big   `json:"amount"`
	Data    hexutil.Bytes  `json:"data"`
	Frozen  bool           `json:"frozen"`
	Deps    []ObjectClaim  `json:"deps"`    // may name claims decided but not yet processed
	Pending []ObjectClaim  `json:"pending"` // of a frozen object
}

// ObjectsPage is aspen_objectsOf's answer.
type ObjectsPage struct {
	Objects []ObjectStatus `json:"objects"`
}

func claimsJSON(cs []optimistic.Claim) []ObjectClaim {
	out := make([]ObjectClaim, len(cs))
	for i, c := range cs {
		out[i] = ObjectClaim{Subnet: string(c.Subnet), Height: hexutil.Uint64(c.Height), Hash: c.Hash}
	}
	return out
}

func kindName(k optimistic.Kind) string {
	switch k {
	case optimistic.KindNative:
		return "native"
	case optimistic.KindERC20:
		return "erc20"
	case optimistic.KindGeneric:
		return "generic"
	}
	return "unknown"
}

func objectJSON(o *optimistic.Object, subnet string, height uint64) ObjectStatus {
	return ObjectStatus{ID: o.ID, Subnet: subnet, Height: hexutil.Uint64(height), Kind: kindName(o.Kind), Owner: o.Owner,
		Token: o.Token, Amount: (*hexutil.Big)(o.Amount), Data: o.Data, Frozen: o.Frozen,
		Deps: claimsJSON(o.Deps), Pending: claimsJSON(o.Pending)}
}

// GetObject is aspen_getObject(id): the object id, read on whichever subnet
// this node serves holds it (an ID names its subnet, so at most one does).
func (a *aspenAPI) GetObject(id common.Hash) (*ObjectStatus, error) {
	for _, rt := range a.n.runtimeList() {
		head := rt.head.Load()
		st, err := rt.exec.ObjectsState(head)
		if err != nil {
			return nil, err
		}
		if o, ok := rt.exec.Objects().Store(st).Object(id); ok {
			out := objectJSON(o, string(rt.id), head.Height)
			return &out, nil
		}
	}
	return nil, fmt.Errorf("no subnet this node serves holds object %s (ask a node of the object's subnet)", id)
}

// ObjectsOf is aspen_objectsOf(owner, subnet?): owner's objects on every
// subnet this node serves, or on the one named, at their heads; at most
// optimistic.MaxOwnerPage per subnet.
func (a *aspenAPI) ObjectsOf(owner common.Address, subnet *string) (*ObjectsPage, error) {
	out := &ObjectsPage{Objects: []ObjectStatus{}}
	found := subnet == nil
	for _, rt := range a.n.runtimeList() {
		if subnet != nil && string(rt.id) != *subnet {
			continue
		}
		found = true
		head := rt.head.Load()
		st, err := rt.exec.ObjectsState(head)
		if err != nil {
			return nil, err
		}
		s := rt.exec.Objects().Store(st)
		ids, _ := s.ObjectsOf(owner, 0, optimistic.MaxOwnerPage)
		for _, id := range ids {
			if o, ok := s.Object(id); ok {
				out.Objects = append(out.Objects, objectJSON(o, string(rt.id), head.Height))
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("this node does not serve subnet %q", *subnet)
	}
	return out, nil
}
