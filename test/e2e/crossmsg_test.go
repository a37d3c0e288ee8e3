package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

type sentMsg struct {
	MsgID common.Hash `json:"msgId"`
	Src   string      `json:"src"`
	Dst   string      `json:"dst"`
}

type hop struct {
	Chain string `json:"chain"`
	State string `json:"state"`
}

// followMsg runs `aspen xfer status` until the message is applied and
// returns the hops it printed.
func followMsg(t *testing.T, home string, m sentMsg) []hop {
	t.Helper()
	var hops []hop
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "status", m.MsgID.Hex(), "--src", m.Src, "--home", home, "--wait", "90s", "--json")), &hops); err != nil {
		t.Fatal(err)
	}
	return hops
}

// circulating is the parent's circulating supply for child, read through
// the gateway's subnet() view.
func circulating(t *testing.T, url, child string) *big.Int {
	return subnetInfo(t, url, child).CirculatingSupply
}

// subnetInfo is the gateway's subnet(child) view on the chain at url.
func subnetInfo(t *testing.T, url, child string) *gateway.ABISubnetInfo {
	t.Helper()
	ctx := context.Background()
	g, err := client.DialGateway(ctx, url, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	info, err := g.Subnet(ctx, types.SubnetID(child))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// testCrossMessagesThroughTheTree (TestSharedTree/CrossMessagesThroughTheTree):
// on the default devnet, a release goes up one level through a checkpoint,
// and a send from the grandchild /devnet/alpha/one reaches its cousin /devnet/beta (up two checkpoints, down
// one top-down hop), each exactly once, with the root's circulating supplies
// moving by exactly the values (the firewall's books).
func testCrossMessagesThroughTheTree(t *testing.T, d *devnet) {
	home := func(i int) string { return filepath.Join(d.home, "node"+strconv.Itoa(i)) }
	root := d.m.Nodes[1].RPC
	coin := big.NewInt(1e18)
	alpha0, beta0 := circulating(t, root, "/devnet/alpha"), circulating(t, root, "/devnet/beta")

	var rel sentMsg
	to := common.HexToAddress("0x00000000000000000000000000000000000a1a01")
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "release", "/devnet/alpha", "--to", to.Hex(), "--value", "1", "--home", home(0), "--json")), &rel); err != nil {
		t.Fatal(err)
	}
	if hops := followMsg(t, home(1), rel); len(hops) != 2 || hops[1].Chain != "/devnet" || hops[1].State != "applied" {
		t.Fatalf("release hops %+v", hops)
	}

	// The release is provable: its Merkle proof into the checkpoint that
	// carried it, and that checkpoint is the one the root committed.
	var proof struct {
		Proof      xnet.MessageProof `json:"proof"`
		Checkpoint hexutil.Bytes     `json:"checkpoint"`
		Committed  bool              `json:"committed"`
	}
	pc, _ := gethrpc.Dial(d.m.Nodes[0].RPC)
	if err := pc.Call(&proof, "aspen_getCrossMsgProof", rel.MsgID); err != nil {
		t.Fatal(err)
	}
	info := subnetInfo(t, root, "/devnet/alpha")
	if !proof.Committed || uint64(proof.Proof.CheckpointHeight) > info.LastCheckpointHeight {
		t.Fatalf("proof of the release in checkpoint %d (committed %v); the root's last is %d", proof.Proof.CheckpointHeight, proof.Committed, info.LastCheckpointHeight)
	}
	// The root keeps its last checkpoint's hash; an idle heartbeat block may
	// have made a later (empty) one meanwhile, so compare when it is this one.
	committed := proof.Proof.CheckpointHash
	if uint64(proof.Proof.CheckpointHeight) == info.LastCheckpointHeight {
		committed = info.LastCheckpointHash
	}
	if err := xnet.VerifyCommittedMessage(&proof.Proof, proof.Checkpoint, committed); err != nil {
		t.Fatalf("release proof: %v", err)
	}
	if err := xnet.VerifyCommittedMessage(&proof.Proof, proof.Checkpoint, common.Hash{1}); err == nil {
		t.Fatal("the proof verified against a checkpoint hash the root never committed")
	}
	if proof.Proof.Message.To != to || (*big.Int)(proof.Proof.Message.Value).Cmp(coin) != 0 {
		t.Fatalf("proof is of %+v", proof.Proof.Message)
	}

	var snd sentMsg
	dest := common.HexToAddress("0x00000000000000000000000000000000000b0b02")
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "send", "/devnet/beta", "--src", "/devnet/alpha/one", "--to", dest.Hex(), "--value", "2", "--home", home(1), "--json")), &snd); err != nil {
		t.Fatal(err)
	}
	want := []hop{{"/devnet/alpha/one", "sent"}, {"/devnet/alpha", "forwarded"}, {"/devnet", "forwarded"}, {"/devnet/beta", "applied"}}
	hops := followMsg(t, home(1), snd)
	if len(hops) != len(want) {
		t.Fatalf("send hops %+v, want %+v", hops, want)
	}
	for i := range want {
		if hops[i] != want[i] {
			t.Fatalf("send hop %d %+v, want %+v", i, hops[i], want[i])
		}
	}

	// A send to a sibling that does not exist is refused at once: the
	// common ancestor's registry, which the source's node follows, has no
	// such child (issue 19, defect 12).
	nope := exec.Command(aspenBin, "xfer", "send", "/devnet/nope", "--src", "/devnet/alpha/one", "--to", dest.Hex(), "--value", "1", "--home", home(1), "--json")
	if out, err := nope.CombinedOutput(); err == nil || !strings.Contains(string(out), "/devnet/nope does not exist") {
		t.Fatalf("xfer send to /devnet/nope: %v\n%s\nwant a refusal saying it does not exist", err, out)
	}

	ctx := context.Background()
	rc, _ := ethclient.Dial(root)
	if b, _ := rc.BalanceAt(ctx, to, nil); b.Cmp(coin) != 0 {
		t.Fatalf("release paid %v on /devnet, want exactly 1 coin", b)
	}
	for _, i := range []int{1, 2, 3} {
		bc, _ := ethclient.Dial(d.m.Nodes[i].RPC + "/devnet/beta")
		if b, _ := bc.BalanceAt(ctx, dest, nil); b.Cmp(new(big.Int).Mul(big.NewInt(2), coin)) != 0 {
			t.Fatalf("node%d: send credited %v on /devnet/beta, want exactly 2 coins", i, b)
		}
	}
	// The root paid 1 out of alpha's supply and moved 2 from alpha's to beta's.
	if got, want := circulating(t, root, "/devnet/alpha"), new(big.Int).Sub(alpha0, new(big.Int).Mul(big.NewInt(3), coin)); got.Cmp(want) != 0 {
		t.Fatalf("alpha's circulating supply %v, want %v", got, want)
	}
	if got, want := circulating(t, root, "/devnet/beta"), new(big.Int).Add(beta0, new(big.Int).Mul(big.NewInt(2), coin)); got.Cmp(want) != 0 {
		t.Fatalf("beta's circulating supply %v, want %v", got, want)
	}

	// Conservation and the firewall across every edge, now that nothing is in
	// flight (CROSSNET "Invariants").
	checkBooks(t, d)
}

// TestCrossMessagesSurviveAValidatorCrash: messages in flight when a
// validator of every chain on their path is killed with SIGKILL and
// restarted are applied exactly once all the same, and the books of every
// edge still balance.
func TestCrossMessagesSurviveAValidatorCrash(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	n := &bftNet{devnet: d}
	home := func(i int) string { return filepath.Join(d.home, "node"+strconv.Itoa(i)) }
	coin := big.NewInt(1e18)
	type sent struct {
		msg  sentMsg
		to   common.Address
		on   string
		home string
	}
	var all []sent
	send := func(k int) {
		to := common.BigToAddress(big.NewInt(int64(0xc0de00 + k)))
		var m sentMsg
		var out string
		if k%2 == 0 {
			out = aspen(t, "xfer", "release", "/devnet/alpha", "--to", to.Hex(), "--value", "1", "--home", home(0), "--json")
		} else {
			out = aspen(t, "xfer", "send", "/devnet/beta", "--src", "/devnet/alpha/one", "--to", to.Hex(), "--value", "1", "--home", home(1), "--json")
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		all = append(all, sent{m, to, m.Dst, home(1)})
	}
	for k := 0; k < 6; k++ {
		send(k)
	}
	// node2 validates the root, alpha, beta and alpha/one: kill it while
	// the messages wait for checkpoints, then bring it back.
	n.kill(t, 2, d.m.Nodes[2].PID)
	n.restart(t, 2)
	for k := 6; k < 8; k++ {
		send(k)
	}
	ctx := context.Background()
	for _, s := range all {
		hops := followMsg(t, s.home, s.msg)
		if last := hops[len(hops)-1]; last.Chain != s.on || last.State != "applied" {
			t.Fatalf("message %s ended %+v", s.msg.MsgID, hops)
		}
	}
	for _, s := range all {
		c, _ := ethclient.Dial(d.m.Nodes[1].RPC + s.on)
		if s.on == "/devnet" {
			c, _ = ethclient.Dial(d.m.Nodes[1].RPC)
		}
		if b, _ := c.BalanceAt(ctx, s.to, nil); b.Cmp(coin) != 0 {
			t.Fatalf("%s holds %v on %s, want exactly 1 coin", s.to, b, s.on)
		}
	}
	checkBooks(t, d)
}

// checkBooks asserts, with nothing in flight, that each parent of the
// default tree holds for each child exactly the child's supply plus the fees
// the child burned.
func checkBooks(t *testing.T, d *devnet) {
	t.Helper()
	checkEdges(t, d, []treeEdge{{"", "/devnet/alpha"}, {"", "/devnet/beta"}, {"/devnet/alpha", "/devnet/alpha/one"}})
}

// treeEdge is a parent (a path below the node's RPC URL, "" for the root)
// and one of its children.
type treeEdge struct{ parent, child string }

// checkEdges asserts the books of every edge, read from node1, which must
// serve every chain named.
func checkEdges(t *testing.T, d *devnet, edges []treeEdge) {
	t.Helper()
	n1, err := gethrpc.Dial(d.m.Nodes[1].RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer n1.Close()
	for _, edge := range edges {
		var sup struct {
			Supply     *hexutil.Big `json:"supply"`
			FeesBurned *hexutil.Big `json:"feesBurned"`
		}
		if err := n1.Call(&sup, "aspen_supply", edge.child); err != nil {
			t.Fatal(err)
		}
		held := circulating(t, d.m.Nodes[1].RPC+edge.parent, edge.child)
		if want := new(big.Int).Add(sup.Supply.ToInt(), sup.FeesBurned.ToInt()); held.Cmp(want) != 0 {
			t.Fatalf("%s: the parent holds %v for it, its supply is %v and it burned %v in fees", edge.child, held, sup.Supply, sup.FeesBurned)
		}
	}
}

// TestReleaseBurstCarriesOver: 2,000 releases from /devnet/alpha within one
// checkpoint period (20 blocks) are more than one checkpoint can carry
// (about 1,330: its messages' gas on the parent must leave room in a
// parent block), so the rest go in the following
// checkpoints, and the subnet keeps making blocks until the parent has paid
// every one, exactly once (aspen bench --release-to checks the recipient's
// balance on the root).
func TestReleaseBurstCarriesOver(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--checkpoint-period", "20", "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	root := d.m.Nodes[0].RPC
	out := aspen(t, "bench", "--rpc", root+"/devnet/alpha", "--release-to", root, "--txs", "2000", "--accounts", "40", "--timeout", "2m", "--json")
	var r struct {
		Committed     int     `json:"committed"`
		Rejected      int     `json:"rejected"`
		AppliedPerSec float64 `json:"appliedPerSec"`
	}
	lines := strings.Split(strings.TrimSpace(out), "\n") // progress goes to stderr, the result last
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("bench output %q: %v", out, err)
	}
	if r.Committed != 2000 || r.Rejected != 0 || r.AppliedPerSec <= 0 {
		t.Fatalf("bench: %+v", r)
	}
	t.Logf("bench: %+v", r)
	checkBooks(t, d)
}
