package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// TestPowReorgAfterPartition forces a reorg on the layered devnet with real
// processes: its nodes talk only through Toxiproxy links, /devnet/wan's four
// miners are split two against two for less than the confirmation depth,
// both halves extend their own branch (a fork at the same height), and after
// the heal every miner ends on one chain: the same final blocks everywhere, a
// rewind logged by the side that lost, and the books of every edge of the
// tree balanced. (A split longer than the depth would let each half finalize
// its own branch: the limit of finality at a depth, ARCHITECTURE §4.)
func TestPowReorgAfterPartition(t *testing.T) {
	t.Parallel()
	args := []string{"--profile", "layered", "--block-time", "200ms", "--pow-block-time", "1s", "--confirmations", "8",
		"--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t))}
	d, net := behindProxies(t, startDevnet(t, t.TempDir(), args...), args)
	wan := func(i int) string { return d.m.Nodes[i].RPC + "/devnet/wan" }
	waitFor(t, "/devnet/wan to finalize blocks behind the proxies", 2*time.Minute, func() bool {
		return blockAt(t, wan(0), "finalized").Number >= 2 && blockAt(t, wan(2), "finalized").Number >= 2
	})

	left, right := nodeNames(d, 0, 1), nodeNames(d, 2, 3)
	if err := net.Partition(left, right); err != nil {
		t.Fatal(err)
	}
	healed := false
	defer func() {
		if !healed {
			net.Heal()
		}
	}()
	// Both halves mine past the height they shared: a fork.
	start := max(blockAt(t, wan(0), "latest").Number, blockAt(t, wan(2), "latest").Number)
	var forkAt hexutil.Uint64
	waitFor(t, "both halves to mine a block of their own", 45*time.Second, func() bool {
		a, b := blockAt(t, wan(0), "latest"), blockAt(t, wan(2), "latest")
		h := min(a.Number, b.Number)
		if h <= start {
			return false
		}
		x, y := blockAt(t, wan(0), hexutil.EncodeUint64(uint64(h))), blockAt(t, wan(2), hexutil.EncodeUint64(uint64(h)))
		forkAt = h
		return x.Hash != y.Hash
	})
	if err := net.Heal(); err != nil {
		t.Fatal(err)
	}
	healed = true

	// One chain again: every miner finalizes the same block above the fork.
	var final blockTag
	waitFor(t, "the miners to agree on a final block above the fork", 2*time.Minute, func() bool {
		final = blockAt(t, wan(0), "finalized")
		if final.Number <= forkAt {
			return false
		}
		for i := 1; i < 4; i++ {
			f := blockAt(t, wan(i), "finalized")
			if f.Number < final.Number {
				return false
			}
			if got := blockAt(t, wan(i), hexutil.EncodeUint64(uint64(final.Number))); got.Hash != final.Hash {
				t.Fatalf("node%d finalized %s at %d, node0 %s: the partition left a fork", i, got.Hash, final.Number, final.Hash)
			}
		}
		return true
	})
	rewinds := 0
	for _, n := range d.m.Nodes {
		rewinds += countLines(t, n.Log, `msg="head rewound"`, "subnet=/devnet/wan", "height=")
	}
	if rewinds == 0 {
		t.Fatal("no node rewound /devnet/wan after the heal, yet the halves had forked")
	}
	t.Logf("fork at /devnet/wan block %d; %d rewinds logged; all four miners final at %d", forkAt, rewinds, final.Number)
	checkEdges(t, d, []treeEdge{{"", "/devnet/wan"}, {"/devnet/wan", "/devnet/wan/lan1"}, {"/devnet/wan", "/devnet/wan/lan2"}})
}

// countLines counts the lines of the log at path that hold every one of subs.
func countLines(t *testing.T, path string, subs ...string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		all := true
		for _, s := range subs {
			if !strings.Contains(line, s) {
				all = false
				break
			}
		}
		if all {
			n++
		}
	}
	return n
}
