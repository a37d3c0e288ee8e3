package node

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// TreeValidator is one seat of a subnet in aspen_tree.
type TreeValidator struct {
	Owner      common.Address `json:"owner"`
	Power      hexutil.Uint64 `json:"power"`
	Collateral *hexutil.Big   `json:"collateral,omitempty"` // as the parent records it; absent for the root
	P2PAddr    string         `json:"p2pAddr,omitempty"`
}

// TreeSubnet is one subnet of aspen_tree: what this node serves of it and
// what its parent's gateway records about it. A subnet the node does not
// serve appears from its parent's records alone (served false, no height).
type TreeSubnet struct {
	ID               string          `json:"id"`
	Parent           string          `json:"parent"`
	Served           bool            `json:"served"` // its JSON-RPC is at /<id> on this node
	Role             string          `json:"role,omitempty"`
	Status           string          `json:"status"` // registered | active | killed
	Engine           string          `json:"engine"`
	ChainID          hexutil.Uint64  `json:"chainId"`
	Height           *hexutil.Uint64 `json:"height,omitempty"`
	HeadTime         *hexutil.Uint64 `json:"headTime,omitempty"` // unix seconds of the head block
	LastBlockAge     *float64        `json:"lastBlockAgeSeconds,omitempty"`
	BlockTimeMs      hexutil.Uint64  `json:"blockTimeMs,omitempty"`
	CheckpointPeriod hexutil.Uint64  `json:"checkpointPeriod,omitempty"`
	Validators       []TreeValidator `json:"validators"`
	TotalPower       hexutil.Uint64  `json:"totalPower"`
	// From the parent's gateway at its final block; absent for the root.
	CirculatingSupply    *hexutil.Big    `json:"circulatingSupply,omitempty"`
	LastCheckpointHeight *hexutil.Uint64 `json:"lastCheckpointHeight,omitempty"`
	LastCheckpointHash   *common.Hash    `json:"lastCheckpointHash,omitempty"`
	ConfigNumber         *hexutil.Uint64 `json:"configNumber,omitempty"`
	// Messages queued each way and not yet applied, where this node can
	// count them: down needs the parent, up needs both chains.
	DownQueued *hexutil.Uint64 `json:"downQueued,omitempty"`
	UpQueued   *hexutil.Uint64 `json:"upQueued,omitempty"`
}

// Tree is aspen_tree: every subnet this node serves and every child its
// served chains' gateways record (killed ones included, with their status),
// sorted by ID, so the root comes first and a child follows its parent.
func (a *aspenAPI) Tree() ([]TreeSubnet, error) {
	served := a.n.runtimeList()
	byID := map[string]*TreeSubnet{}
	now := time.Now()
	for _, rt := range served {
		head := rt.head.Load()
		role := "follower"
		if rt.voter.Load() {
			role = "validator"
		}
		h, ht := hexutil.Uint64(head.Height), hexutil.Uint64(head.Time())
		age := max(now.Sub(time.UnixMilli(int64(head.TimeMs))).Seconds(), 0)
		s := &TreeSubnet{ID: string(rt.id), Parent: string(rt.id.Parent()), Served: true, Role: role, Status: gateway.StatusActive.String(),
			Engine: rt.gen.Engine, ChainID: hexutil.Uint64(rt.gen.ChainID), Height: &h, HeadTime: &ht, LastBlockAge: &age,
			CheckpointPeriod: hexutil.Uint64(rt.period), Validators: []TreeValidator{}}
		if vs := rt.vals.Load(); vs != nil {
			for _, v := range vs.All() {
				s.Validators = append(s.Validators, TreeValidator{Owner: v.Address, Power: hexutil.Uint64(v.Power)})
			}
			s.TotalPower = hexutil.Uint64(vs.TotalPower())
		}
		byID[s.ID] = s
	}
	// Each served chain's gateway tells about its children: the subnets
	// this node does not serve, and the parent's side of those it does.
	for _, rt := range served {
		gs, _, err := headGateway(&rt.chain)
		if err != nil {
			return nil, err
		}
		for _, id := range gateway.ReadChildren(gs, rt.id) {
			rec, err := gateway.ReadSubnet(gs, rt.id, id)
			if err != nil {
				return nil, err
			}
			s, ok := byID[string(id)]
			if !ok {
				s = &TreeSubnet{ID: string(id), Parent: string(rt.id), Engine: rec.Params.Engine.String(), ChainID: hexutil.Uint64(rec.ChainID), Validators: []TreeValidator{}}
				byID[s.ID] = s
			}
			fillFromParent(s, rec)
		}
	}
	// Queues each way between a served child and its parent.
	for _, rt := range served {
		if q, ok := queuesOf(rt); ok {
			up, down := hexutil.Uint64(q.up), hexutil.Uint64(q.down)
			byID[string(rt.id)].UpQueued, byID[string(rt.id)].DownQueued = &up, &down
		}
	}
	out := make([]TreeSubnet, 0, len(byID))
	for _, s := range byID {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// childQueues is what a served child's chain and its parent's say of the
// traffic between them, each at its final block.
type childQueues struct {
	id types.SubnetID
	// checkpointLag is the child's final height minus the height of the
	// last checkpoint of it the parent committed.
	checkpointLag uint64
	up            uint64 // sent up by the child, not yet applied by the parent
	down          uint64 // queued down by the parent, not yet applied by the child
}

// queuesOf reads rt's queues; false for the root or a chain whose gateway
// cannot be read now.
func queuesOf(rt *runtime) (childQueues, bool) {
	if rt.parent == nil {
		return childQueues{}, false
	}
	pgs, _, err := headGateway(rt.parent)
	if err != nil {
		return childQueues{}, false
	}
	gs, head, err := headGateway(&rt.chain)
	if err != nil {
		return childQueues{}, false
	}
	p := rt.parent.ID()
	cp, _, _ := gateway.LastCheckpoint(pgs, p, rt.id)
	return childQueues{id: rt.id,
		checkpointLag: above(head.Height, cp),
		up:            above(gateway.UpNonce(gs), gateway.UpApplied(pgs, p, rt.id)),
		down:          above(gateway.TopDownNonce(pgs, p, rt.id), gateway.AppliedTopDown(gs)),
	}, true
}

// above is a-b, or 0 when b is not below a.
func above(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return 0
}

// childQueues lists the queues of every served child, for the metrics.
func (n *Node) childQueues() []childQueues {
	var out []childQueues
	for _, rt := range n.runtimeList() {
		if q, ok := queuesOf(rt); ok {
			out = append(out, q)
		}
	}
	return out
}

// fillFromParent copies what the parent's gateway records about child s.
func fillFromParent(s *TreeSubnet, rec *gateway.Subnet) {
	s.Status = rec.Status.String()
	s.BlockTimeMs = hexutil.Uint64(rec.Params.BlockTimeMs)
	s.CheckpointPeriod = hexutil.Uint64(rec.Params.CheckpointPeriod)
	s.CirculatingSupply = (*hexutil.Big)(new(big.Int).Set(nonNilBig(rec.CirculatingSupply)))
	lh, cn := hexutil.Uint64(rec.LastCheckpointHeight), hexutil.Uint64(rec.ConfigNumber)
	hash := rec.LastCheckpointHash
	s.LastCheckpointHeight, s.LastCheckpointHash, s.ConfigNumber = &lh, &hash, &cn
	if s.Served {
		// The child's own set decides its blocks; the parent's record adds
		// the collateral and peer address of each seat.
		for i := range s.Validators {
			for _, v := range rec.Validators {
				if v.Owner == s.Validators[i].Owner {
					s.Validators[i].Collateral = (*hexutil.Big)(nonNilBig(v.Collateral))
					s.Validators[i].P2PAddr = v.P2PAddr
				}
			}
		}
		return
	}
	var total uint64
	for _, v := range rec.Validators {
		p := gateway.PowerOf(v.Collateral)
		total += p
		s.Validators = append(s.Validators, TreeValidator{Owner: v.Owner, Power: hexutil.Uint64(p),
			Collateral: (*hexutil.Big)(nonNilBig(v.Collateral)), P2PAddr: v.P2PAddr})
	}
	s.TotalPower = hexutil.Uint64(total)
}

func nonNilBig(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}

var errAddressTxs = errors.New("node: aspen_getAddressTxs")

// AddressTx is one transaction of aspen_getAddressTxs.
type AddressTx struct {
	Hash        common.Hash    `json:"hash"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	Index       hexutil.Uint64 `json:"transactionIndex"`
}

// AddressTxs is a page of aspen_getAddressTxs; Next, when set, is the
// cursor of the following (older) page.
type AddressTxs struct {
	Txs  []AddressTx `json:"txs"`
	Next string      `json:"next,omitempty"`
}

// Page sizes of aspen_getAddressTxs.
const (
	addressTxsDefault = 25
	addressTxsMax     = 100
)

// GetAddressTxs is aspen_getAddressTxs: the transactions address sent,
// received or created on subnet, newest first, from the store's index.
// cursor is a previous page's next ("" or omitted: the newest).
func (a *aspenAPI) GetAddressTxs(subnet string, address common.Address, cursor *string, limit *hexutil.Uint64) (*AddressTxs, error) {
	rt := a.n.runtime(types.SubnetID(subnet))
	if rt == nil {
		return nil, fmt.Errorf("%w: this node does not serve subnet %q", errAddressTxs, subnet)
	}
	n := addressTxsDefault
	if limit != nil {
		if *limit == 0 || *limit > addressTxsMax {
			return nil, fmt.Errorf("%w: limit %d: give 1 to %d", errAddressTxs, *limit, addressTxsMax)
		}
		n = int(*limit)
	}
	var from *store.AddrTx
	if cursor != nil && *cursor != "" {
		c, err := parseAddressCursor(*cursor)
		if err != nil {
			return nil, err
		}
		from = c
	}
	txs, next, err := rt.store.AddressTxs(address, from, n)
	if err != nil {
		return nil, err
	}
	out := &AddressTxs{Txs: make([]AddressTx, len(txs))}
	for i, e := range txs {
		out.Txs[i] = AddressTx{Hash: e.Hash, BlockNumber: hexutil.Uint64(e.Height), Index: hexutil.Uint64(e.Index)}
	}
	if next != nil {
		out.Next = fmt.Sprintf("%d.%d", next.Height, next.Index)
	}
	return out, nil
}

// parseAddressCursor reads a cursor "HEIGHT.INDEX" as GetAddressTxs wrote it.
func parseAddressCursor(s string) (*store.AddrTx, error) {
	h, i, ok := strings.Cut(s, ".")
	height, err1 := strconv.ParseUint(h, 10, 64)
	index, err2 := strconv.ParseUint(i, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: cursor %q: pass the next of a previous page (HEIGHT.INDEX), or none for the newest", errAddressTxs, s)
	}
	return &store.AddrTx{Height: height, Index: uint32(index)}, nil
}
