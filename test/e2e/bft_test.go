package e2e

import (
	"context"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// bftNet is a running 4-validator bft devnet with a client per node.
type bftNet struct {
	*devnet
	clients []*ethclient.Client
}

func startBFT(t *testing.T) *bftNet { return startBFTEnv(t, nil) }

// startBFTEnv is startBFT with env added to the nodes' environment.
func startBFTEnv(t *testing.T, env []string) *bftNet {
	home := t.TempDir()
	d := startDevnetEnv(t, home, env, "--validators", "4", "--engine", "bft", "--subnets", "none", "--block-time", "200ms",
		"--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	n := &bftNet{devnet: d}
	if len(d.m.Nodes) != 4 {
		t.Fatalf("devnet.json lists %d nodes, want 4", len(d.m.Nodes))
	}
	for _, node := range d.m.Nodes {
		c, err := ethclient.Dial(node.RPC + d.m.Network)
		if err != nil {
			t.Fatal(err)
		}
		n.clients = append(n.clients, c)
	}
	return n
}

func (n *bftNet) height(i int) (uint64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	h, err := n.clients[i].BlockNumber(ctx)
	return h, err == nil
}

// waitHeight waits until every node in idx is at height h or above.
func (n *bftNet) waitHeight(t *testing.T, h uint64, timeout time.Duration, idx ...int) {
	t.Helper()
	waitFor(t, "height "+strconv.FormatUint(h, 10)+" on nodes "+ints(idx), timeout, func() bool {
		for _, i := range idx {
			if got, ok := n.height(i); !ok || got < h {
				return false
			}
		}
		return true
	})
}

// agree checks that nodes idx report the same hash at every height 1..upTo.
func (n *bftNet) agree(t *testing.T, upTo uint64, idx ...int) {
	t.Helper()
	for h := uint64(1); h <= upTo; h++ {
		var want common.Hash
		for k, i := range idx {
			got := blockHash(t, n.clients[i], h)
			if got == (common.Hash{}) {
				t.Fatalf("node%d has no block %d", i, h)
			}
			if k == 0 {
				want = got
			} else if got != want {
				t.Fatalf("disagreement at height %d: node%d has %s, node%d has %s", h, idx[0], want, i, got)
			}
		}
	}
}

func (n *bftNet) kill(t *testing.T, i int, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 node%d (pid %d): %v", i, pid, err)
	}
	waitFor(t, "node"+strconv.Itoa(i)+" to die", 10*time.Second, func() bool { return processGone(pid) })
}

func (n *bftNet) restart(t *testing.T, i int) int {
	t.Helper()
	node := n.m.Nodes[i]
	cmd := startProcess(t, node.Restart, filepath.Join(n.home, "node"+strconv.Itoa(i), "restart.log"))
	return cmd.Process.Pid
}

func ints(xs []int) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(x)
	}
	return s
}

// TestBFTFourValidators: four validator processes agree at every height;
// with one killed the rest keep finalizing, and it catches up and agrees
// after a restart; with two killed nothing is finalized and nobody
// disagrees; with them back, progress resumes.
func TestBFTFourValidators(t *testing.T) {
	t.Parallel()
	n := startBFT(t)
	all := []int{0, 1, 2, 3}
	n.waitHeight(t, 5, time.Minute, all...)
	n.agree(t, 5, all...)

	// One down: 3 of 4 is still more than 2/3.
	pid3 := n.m.Nodes[3].PID
	n.kill(t, 3, pid3)
	h, _ := n.height(0)
	n.waitHeight(t, h+5, time.Minute, 0, 1, 2)
	pid3 = n.restart(t, 3)
	h, _ = n.height(0)
	n.waitHeight(t, h+2, 2*time.Minute, all...)
	n.agree(t, h+2, all...)

	// Two down: 2 of 4 is not a quorum.
	n.kill(t, 3, pid3)
	n.kill(t, 2, n.m.Nodes[2].PID)
	stalled, _ := n.height(0)
	// A block already precommitted may still land; after that nothing may.
	// Absence of progress can only be observed over time: 15 block times.
	var maxSeen uint64
	observe(3*time.Second, func() {
		for _, i := range []int{0, 1} {
			if got, ok := n.height(i); ok && got > maxSeen {
				maxSeen = got
			}
		}
	})
	if maxSeen > stalled+1 {
		t.Fatalf("with 2 of 4 validators down the chain went from %d to %d", stalled, maxSeen)
	}
	n.agree(t, maxSeen, 0, 1)

	n.restart(t, 2)
	n.restart(t, 3)
	n.waitHeight(t, maxSeen+3, 2*time.Minute, all...)
	n.agree(t, maxSeen+3, all...)
}

// observe calls poll every 100ms for d.
func observe(d time.Duration, poll func()) {
	end := time.NewTimer(d)
	defer end.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		poll()
		select {
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}
