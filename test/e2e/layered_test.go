package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
)

// blockTag is one block of a chain as eth_getBlockByNumber names it.
type blockTag struct {
	Number hexutil.Uint64 `json:"number"`
	Hash   common.Hash    `json:"hash"`
	Miner  common.Address `json:"miner"`
}

func blockAt(t *testing.T, url, tag string) blockTag {
	t.Helper()
	c, err := gethrpc.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b blockTag
	if err := c.Call(&b, "eth_getBlockByNumber", tag, false); err != nil {
		t.Fatalf("%s %s: %v", url, tag, err)
	}
	return b
}

// TestLayeredDevnet is issue 11's layered shape with real processes: a bft
// root, a pow /devnet/wan that every node mines, and bft /devnet/wan/lan1
// and /devnet/wan/lan2 at 200 ms blocks. It checks two-tier finality as a
// user sees it (the pow chain's finalized block trails its tip by the
// confirmations, every miner agrees on it), a transfer between the two lan
// subnets through their pow parent and one from lan1 up to the root, each
// applied exactly once, a miner killed with SIGKILL and restarted that
// catches up to the same chain, and the books of every edge afterwards.
func TestLayeredDevnet(t *testing.T) {
	t.Parallel()
	const confirmations = 3
	d := startDevnet(t, t.TempDir(), "--profile", "layered", "--block-time", "200ms", "--pow-block-time", "1s",
		"--confirmations", strconv.Itoa(confirmations), "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	if d.m.Profile != "layered" {
		t.Fatalf("devnet.json profile %q, want layered", d.m.Profile)
	}
	engines := map[string]string{}
	for _, s := range d.m.Subnets {
		engines[s.ID] = s.Engine
		if s.ID == "/devnet/wan" && s.Confirmations != confirmations {
			t.Fatalf("devnet.json: /devnet/wan has %d confirmations, want %d", s.Confirmations, confirmations)
		}
	}
	want := map[string]string{"/devnet": "bft", "/devnet/wan": "pow", "/devnet/wan/lan1": "bft", "/devnet/wan/lan2": "bft"}
	for id, e := range want {
		if engines[id] != e {
			t.Fatalf("devnet.json: %s runs %q, want %s (all: %v)", id, engines[id], e, engines)
		}
	}
	for _, n := range d.m.Nodes {
		if !n.Mines {
			t.Fatalf("%s does not mine on the layered devnet", n.Name)
		}
	}
	home := func(i int) string { return filepath.Join(d.home, "node"+strconv.Itoa(i)) }
	wan := func(i int) string { return d.m.Nodes[i].RPC + "/devnet/wan" }

	// The pow chain's finalized block trails its tip by the confirmations,
	// and it is the same block on every miner.
	var final blockTag
	waitFor(t, "/devnet/wan to finalize blocks", 2*time.Minute, func() bool {
		final = blockAt(t, wan(0), "finalized")
		return final.Number >= 2
	})
	if latest := blockAt(t, wan(0), "latest"); latest.Number < final.Number+confirmations {
		t.Fatalf("/devnet/wan: finalized %d, latest %d: a final block must have %d blocks on it", final.Number, latest.Number, confirmations)
	}
	for i := 1; i < len(d.m.Nodes); i++ {
		got := blockAt(t, wan(i), hexutil.EncodeUint64(uint64(final.Number)))
		if got.Hash != final.Hash {
			t.Fatalf("node%d's /devnet/wan block %d is %s, node0 finalized %s", i, final.Number, got.Hash, final.Hash)
		}
	}

	// lan1 → lan2 through the pow parent, and lan1 → the root over it.
	coin := big.NewInt(1e18)
	ctx := context.Background()
	dest := common.HexToAddress("0x00000000000000000000000000000000001a2222")
	var snd sentMsg
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "send", "/devnet/wan/lan2", "--src", "/devnet/wan/lan1", "--to", dest.Hex(), "--value", "2", "--home", home(1), "--json")), &snd); err != nil {
		t.Fatal(err)
	}
	hops := followMsg(t, home(1), snd)
	if got := hopString(hops); got != "/devnet/wan/lan1:sent /devnet/wan:forwarded /devnet/wan/lan2:applied" {
		t.Fatalf("lan1 → lan2 hops: %s", got)
	}
	up := common.HexToAddress("0x00000000000000000000000000000000001a2000")
	var rel sentMsg
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "send", "/devnet", "--src", "/devnet/wan/lan1", "--to", up.Hex(), "--value", "1", "--home", home(2), "--json")), &rel); err != nil {
		t.Fatal(err)
	}
	if got := hopString(followMsg(t, home(2), rel)); got != "/devnet/wan/lan1:sent /devnet/wan:forwarded /devnet:applied" {
		t.Fatalf("lan1 → root hops: %s", got)
	}
	// Each node holds exactly the value once it has the block that applied
	// it (the node xfer status asked may be a block ahead of the others).
	for _, i := range []int{1, 2, 3} {
		creditedOnce(t, d.m.Nodes[i].RPC+"/devnet/wan/lan2", dest, new(big.Int).Mul(big.NewInt(2), coin))
	}
	creditedOnce(t, d.m.Nodes[0].RPC, up, coin)
	checkWorkProvenCheckpoints(t, d.m.Nodes[0].RPC, "/devnet/wan")

	// Checkpoints keep up with a fast child under a slow-finality parent:
	// lan1 (a checkpoint every 2 s) drains its up queue into /devnet/wan
	// and rests, rather than falling ever further behind while each
	// checkpoint waits for the one before to be final on the pow chain.
	lan1 := d.m.Nodes[0].RPC + "/devnet/wan/lan1"
	lc, _ := ethclient.Dial(lan1)
	waitFor(t, "lan1's checkpoints to catch up on /devnet/wan", time.Minute, func() bool {
		h, err := lc.BlockNumber(ctx)
		info := subnetInfo(t, wan(0), "/devnet/wan/lan1")
		return err == nil && h <= info.LastCheckpointHeight+20
	})

	// A miner killed mid-chain comes back and follows the same chain.
	victim := d.m.Nodes[3]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node3 to exit", 30*time.Second, func() bool { return processGone(victim.PID) })
	before := blockAt(t, wan(0), "latest").Number
	waitFor(t, "/devnet/wan to keep growing without node3", time.Minute, func() bool {
		return blockAt(t, wan(0), "latest").Number >= before+2
	})
	startProcess(t, victim.Restart, victim.Log)
	// Its tentative blocks may be on a branch the others left while it was
	// away; what it holds FINAL must be the others' chain.
	target := blockAt(t, wan(0), "finalized")
	waitFor(t, "the restarted miner to finalize the others' final block", 2*time.Minute, func() bool {
		c, err := gethrpc.Dial(wan(3))
		if err != nil {
			return false
		}
		defer c.Close()
		var fin *blockTag
		if err := c.Call(&fin, "eth_getBlockByNumber", "finalized", false); err != nil || fin == nil || fin.Number < target.Number {
			return false
		}
		var b *blockTag
		if err := c.Call(&b, "eth_getBlockByNumber", hexutil.EncodeUint64(uint64(target.Number)), false); err != nil || b == nil {
			return false
		}
		if b.Hash != target.Hash {
			t.Fatalf("restarted node3 finalized %s at /devnet/wan block %d, node0 finalized %s: a fork", b.Hash, target.Number, target.Hash)
		}
		return true
	})

	// Nothing is in flight: every edge's books balance.
	checkEdges(t, d, []treeEdge{{"", "/devnet/wan"}, {"/devnet/wan", "/devnet/wan/lan1"}, {"/devnet/wan", "/devnet/wan/lan2"}})
	t.Logf("pow reorgs seen in the node logs: %d", countInLogs(t, d, "head rewound"))
}

func hopString(hops []hop) string {
	parts := make([]string, len(hops))
	for i, h := range hops {
		parts[i] = h.Chain + ":" + h.State
	}
	return strings.Join(parts, " ")
}

// countInLogs counts the lines of every node's log that contain s.
func countInLogs(t *testing.T, d *devnet, s string) int {
	n := 0
	for _, node := range d.m.Nodes {
		data, err := os.ReadFile(node.Log)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(data), s)
	}
	return n
}

// checkWorkProvenCheckpoints: the root committed checkpoints of the pow
// child, each through submitPowCheckpoint (proven by work, signed by
// nobody), never submitCheckpoint.
func checkWorkProvenCheckpoints(t *testing.T, rootRPC, child string) {
	t.Helper()
	ctx := context.Background()
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ethclient.Dial(rootRPC)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ev := gw.Events["CheckpointCommitted"]
	logs, err := c.FilterLogs(ctx, ethereum.FilterQuery{Addresses: []common.Address{gateway.Address}, Topics: [][]common.Hash{{ev.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	proven := 0
	for _, l := range logs {
		out, err := ev.Inputs.Unpack(l.Data)
		if err != nil {
			t.Fatal(err)
		}
		if out[0].(string) != child {
			continue
		}
		tx, _, err := c.TransactionByHash(ctx, l.TxHash)
		if err != nil {
			t.Fatal(err)
		}
		m, err := gw.MethodById(tx.Data())
		if err != nil || m.Name != "submitPowCheckpoint" {
			t.Fatalf("checkpoint %v of %s committed by %v (%v), want submitPowCheckpoint", out[1], child, m, err)
		}
		if r, err := c.TransactionReceipt(ctx, l.TxHash); err == nil && proven == 0 {
			t.Logf("checkpoint %v of %s: %d bytes of call data, %d gas", out[1], child, len(tx.Data()), r.GasUsed)
		}
		proven++
	}
	if proven == 0 {
		t.Fatalf("the root committed no checkpoint of %s", child)
	}
	t.Logf("%d checkpoints of %s committed on the root, each proven by work", proven, child)
}

// creditedOnce waits until addr holds at least want on the chain at url,
// then requires exactly want: the value arrived, and only once.
func creditedOnce(t *testing.T, url string, addr common.Address, want *big.Int) {
	t.Helper()
	c, err := ethclient.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got *big.Int
	waitFor(t, "a credit on "+url, 30*time.Second, func() bool {
		got, err = c.BalanceAt(context.Background(), addr, nil)
		return err == nil && got.Cmp(want) >= 0
	})
	if got.Cmp(want) != 0 {
		t.Fatalf("%s credited %v to %s, want exactly %v", url, got, addr, want)
	}
}
