package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/node"
)

func u64p(v uint64) *hexutil.Uint64 { x := hexutil.Uint64(v); return &x }
func f64p(v float64) *float64       { return &v }

// TestStatusFlags: a root without blocks for many block times is stalled, a
// child whose parent's last checkpoint is more than three periods behind
// lags, a killed subnet is left out, and a healthy tree has no flags.
func TestStatusFlags(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	vals := []node.TreeValidator{{}, {}, {}}
	healthy := []node.TreeSubnet{
		{ID: "/devnet", Served: true, Status: "active", Engine: "bft", Height: u64p(500), LastBlockAge: f64p(0.2), BlockTimeMs: 200, Validators: vals},
		{ID: "/devnet/alpha", Parent: "/devnet", Served: true, Status: "active", Engine: "bft", Height: u64p(100), LastBlockAge: f64p(29),
			CheckpointPeriod: 10, LastCheckpointHeight: u64p(90), DownQueued: u64p(0), UpQueued: u64p(1), Validators: vals},
		{ID: "/devnet/old", Parent: "/devnet", Status: "killed", Engine: "bft"},
		{ID: "/devnet/beta", Parent: "/devnet", Status: "registered", Engine: "solo", Validators: []node.TreeValidator{}},
	}
	info := node.NodeInfo{PeerID: "me", Peers: []node.PeerStatus{{PeerID: "p1", Subnets: []string{"/devnet", "/devnet/alpha"}}}}
	st := buildStatus(healthy, info, map[string]uint64{"/devnet/alpha": uint64(now.Unix()) - 12}, now)
	if len(st.Subnets) != 3 {
		t.Fatalf("%d subnets shown, want 3 (the killed one left out)", len(st.Subnets))
	}
	if got := st.Subnets[0].Flags; len(got) != 0 {
		t.Fatalf("healthy root flagged %v", got)
	}
	alpha := st.Subnets[1]
	if len(alpha.Flags) != 0 || alpha.Peers != 1 || *alpha.CheckpointLagBlocks != 10 || *alpha.CheckpointAgeSeconds != 12 {
		t.Fatalf("alpha: flags %v, peers %d, lag %d, age %v", alpha.Flags, alpha.Peers, *alpha.CheckpointLagBlocks, *alpha.CheckpointAgeSeconds)
	}
	if got := st.Subnets[2].Flags; len(got) != 1 || got[0] != "registered" {
		t.Fatalf("registered subnet flagged %v, want [registered]", got)
	}

	sick := append([]node.TreeSubnet(nil), healthy...)
	sick[0].LastBlockAge = f64p(11) // 55 block times of 200 ms, past the 10 s floor
	sick[1].LastCheckpointHeight = u64p(69)
	st = buildStatus(sick, info, nil, now)
	if got := strings.Join(st.Subnets[0].Flags, ";"); !strings.HasPrefix(got, "stalled") {
		t.Fatalf("root with no block for 11 s flagged %q, want stalled", got)
	}
	if got := strings.Join(st.Subnets[1].Flags, ";"); !strings.HasPrefix(got, "lagging: last checkpoint 31 blocks behind") {
		t.Fatalf("alpha 31 blocks past its checkpoint (period 10) flagged %q, want lagging", got)
	}
	if !st.hasFlags() {
		t.Fatal("hasFlags false with a stalled root")
	}
	var out bytes.Buffer
	st.print(&out, "http://127.0.0.1:8545")
	for _, want := range []string{"/devnet ", "  /alpha", "stalled", "#69 (31 behind)", "0/1"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}
