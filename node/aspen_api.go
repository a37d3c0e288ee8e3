package node

import (
	"sort"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/p2p"
)

// aspenAPI is the aspen_ JSON-RPC namespace: the node's own view, the same
// on every subnet path.
type aspenAPI struct{ n *Node }

// SubnetStatus is one entry of aspen_subnets.
type SubnetStatus struct {
	ID      string         `json:"id"`
	Role    string         `json:"role"` // "validator" or "follower"
	Engine  string         `json:"engine"`
	ChainID hexutil.Uint64 `json:"chainId"`
	Height  hexutil.Uint64 `json:"height"`
	Parent  string         `json:"parent"`
}

// Subnets is aspen_subnets: every subnet this node serves and its role there.
func (a *aspenAPI) Subnets() []SubnetStatus {
	var out []SubnetStatus
	for _, rt := range a.n.runtimeList() {
		role := "follower"
		if rt.voter.Load() {
			role = "validator"
		}
		out = append(out, SubnetStatus{
			ID: string(rt.id), Role: role, Engine: rt.gen.Engine, ChainID: hexutil.Uint64(rt.gen.ChainID),
			Height: hexutil.Uint64(rt.head.Load().Height), Parent: string(rt.id.Parent()),
		})
	}
	return out
}

// PeerStatus is one peer in aspen_nodeInfo.
type PeerStatus struct {
	PeerID      string   `json:"peerId"`
	Connections int      `json:"connections"`
	Subnets     []string `json:"subnets"`
}

// NodeInfo is the result of aspen_nodeInfo.
type NodeInfo struct {
	PeerID string       `json:"peerId"`
	Addrs  []string     `json:"addrs"`
	Peers  []PeerStatus `json:"peers"`
}

// NodeInfo is aspen_nodeInfo: this node's peer ID and, per connected peer,
// how many connections we hold to it (one, however many subnets we share)
// and which of our subnets it takes part in.
func (a *aspenAPI) NodeInfo() NodeInfo {
	info := NodeInfo{Peers: []PeerStatus{}}
	h := a.n.host
	if h == nil {
		return info
	}
	info.PeerID, info.Addrs = h.ID(), h.Addrs()
	shared := map[string][]string{}
	for _, rt := range a.n.runtimeList() {
		for _, p := range h.TopicPeers(p2p.ConsensusTopic(rt.id)) {
			shared[p] = append(shared[p], string(rt.id))
		}
	}
	for _, p := range h.Peers() {
		subs := shared[p.ID]
		sort.Strings(subs)
		if subs == nil {
			subs = []string{}
		}
		info.Peers = append(info.Peers, PeerStatus{PeerID: p.ID, Connections: p.Connections, Subnets: subs})
	}
	sort.Slice(info.Peers, func(i, j int) bool { return info.Peers[i].PeerID < info.Peers[j].PeerID })
	return info
}
