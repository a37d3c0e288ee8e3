package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	gonet "net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/faults"
	"github.com/aspen-chain/aspen/types"
)

// The disjoint devnet: the root and /devnet/beta on node0-3, /devnet/alpha on
// node4-7 (which only follow the root), /devnet/alpha/one on node4-6.
const (
	djRoot  = "/devnet"
	djAlpha = "/devnet/alpha"
	djOne   = "/devnet/alpha/one"
	djBeta  = "/devnet/beta"
)

// TestDisjoint runs the fault promises on one disjoint devnet, in order:
// each node runs exactly its chains; the tree below the root keeps working
// with every root validator paused and its queued messages are applied
// exactly once after; a validator restarted with a wiped data directory
// catches up and votes again without double signing.
func TestDisjoint(t *testing.T) {
	t.Parallel()
	args := []string{"--subnets", "disjoint", "--block-time", "300ms", "--checkpoint-period", "5",
		"--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t))}
	d := startDevnet(t, t.TempDir(), args...)
	if len(d.m.Nodes) != 8 || d.m.Profile != "disjoint" {
		t.Fatalf("devnet of %d nodes, profile %q", len(d.m.Nodes), d.m.Profile)
	}
	d, net := behindProxies(t, d, args)
	t.Run("Roles", func(t *testing.T) { disjointRoles(t, d) })
	t.Run("RootPaused", func(t *testing.T) { disjointRootPaused(t, d) })
	t.Run("WipedValidator", func(st *testing.T) { disjointWipedValidator(st, t, d) })
	t.Run("ChildSplit", func(t *testing.T) { disjointChildSplit(t, d, net) })
	t.Run("SlowLevels", func(t *testing.T) { disjointSlowLevels(t, d, net) })
	t.Run("PartitionedLevels", func(t *testing.T) { disjointPartitionedLevels(t, d, net) })
}

// behindProxies stops the devnet d, puts a proxy on every directed link
// between its nodes, and resumes it: node i listens on a new port, dials
// node j only through the proxy of link (i, j) (its bootstrap list), and
// announces an address where nothing listens, so no node ever learns
// another's real one (the subnets' validator addresses in the gateways
// name the old ports, closed now).
func behindProxies(t *testing.T, d *devnet, args []string) (*devnet, *faults.Network) {
	t.Helper()
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	net := faults.NewNetwork()
	t.Cleanup(func() { net.Close() })
	names := make([]string, len(d.m.Nodes))
	listen := make([]int, len(d.m.Nodes))
	var held []gonet.Listener
	for i, n := range d.m.Nodes {
		// Held until every proxy has its port, so that no proxy takes one.
		l, err := gonet.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
		names[i], listen[i] = n.Name, l.Addr().(*gonet.TCPAddr).Port
	}
	for i, n := range d.m.Nodes {
		cfg, err := config.LoadNode(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		nowhere, err := faults.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		cfg.P2P.Listen = []string{"/ip4/127.0.0.1/tcp/" + strconv.Itoa(listen[i])}
		cfg.P2P.Announce = []string{tcpMultiaddr(nowhere)}
		cfg.P2P.Bootstrap = nil
		for j, other := range d.m.Nodes {
			if i == j {
				continue
			}
			via, err := net.Link(names[i], names[j], "127.0.0.1:"+strconv.Itoa(listen[j]))
			if err != nil {
				t.Fatal(err)
			}
			cfg.P2P.Bootstrap = append(cfg.P2P.Bootstrap, tcpMultiaddr(via)+"/p2p/"+other.PeerID)
		}
		if err := cfg.Save(); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range held {
		l.Close()
	}
	return startDevnet(t, d.home, args...), net
}

// tcpMultiaddr turns 127.0.0.1:PORT into /ip4/127.0.0.1/tcp/PORT.
func tcpMultiaddr(hostPort string) string {
	host, port, _ := strings.Cut(hostPort, ":")
	return "/ip4/" + host + "/tcp/" + port
}

// nodeNames are the names of nodes idx of d.
func nodeNames(d *devnet, idx ...int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = d.m.Nodes[i].Name
	}
	return out
}

// disjointRoles: every node serves exactly the chains devnet.json says it
// validates and follows, in those roles, and stores no other chain.
func disjointRoles(t *testing.T, d *devnet) {
	want := map[int][2][]string{
		0: {{djRoot, djBeta}, {}}, 3: {{djRoot, djBeta}, {}},
		4: {{djAlpha, djOne}, {djRoot}}, 6: {{djAlpha, djOne}, {djRoot}},
		7: {{djAlpha}, {djRoot}},
	}
	for i, n := range d.m.Nodes {
		if w, ok := want[i]; ok && (!slices.Equal(n.ValidatorOf, w[0]) || !slices.Equal(n.Follows, w[1])) {
			t.Errorf("devnet.json: %s validates %v follows %v, want %v and %v", n.Name, n.ValidatorOf, n.Follows, w[0], w[1])
		}
		var subs []subnetStatus
		c, err := gethrpc.Dial(n.RPC)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Call(&subs, "aspen_subnets")
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range subs {
			got[s.ID] = s.Role
		}
		wantRoles := map[string]string{}
		for _, s := range n.ValidatorOf {
			wantRoles[s] = "validator"
		}
		for _, s := range n.Follows {
			wantRoles[s] = "follower"
		}
		if len(got) != len(wantRoles) {
			t.Errorf("%s runs %v, want %v", n.Name, got, wantRoles)
		}
		for id, role := range wantRoles {
			if got[id] != role {
				t.Errorf("%s runs %s as %q, want %s", n.Name, id, got[id], role)
			}
		}
		// No storage of a chain it does not run.
		entries, _ := os.ReadDir(filepath.Join(n.Home, faults.DataDir))
		if len(entries) != len(wantRoles) {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("%s stores %v, want only its %d chains", n.Name, names, len(wantRoles))
		}
	}
}

// djClient dials chain on node i.
func djClient(t *testing.T, d *devnet, i int, chain string) *ethclient.Client {
	t.Helper()
	url := d.m.Nodes[i].RPC
	if chain != djRoot {
		url += chain
	}
	c, err := ethclient.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// localTx sends 1 wei from dev account k to a fresh address on c and
// waits for its receipt; it returns how long that took.
func localTx(t *testing.T, d *devnet, c *ethclient.Client, k int, timeout time.Duration) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	key, err := d.m.Accounts[k].Key()
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := c.PendingNonceAt(ctx, d.m.Accounts[k].Address)
	if err != nil {
		t.Fatal(err)
	}
	to := common.BigToAddress(big.NewInt(time.Now().UnixNano()))
	tx, err := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(100e9), Gas: 21000, To: &to, Value: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for {
		r, err := c.TransactionReceipt(ctx, tx.Hash())
		if err == nil && r.Status == gethtypes.ReceiptStatusSuccessful {
			return time.Since(start)
		}
		if err != nil && err != ethereum.NotFound {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s after %s", tx.Hash(), timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func home(d *devnet, i int) string { return d.m.Nodes[i].Home }

// disjointRootPaused: with every root validator stopped (SIGSTOP), alpha and
// alpha/one finalize local transactions, and releases from alpha and sends
// from alpha/one to beta are accepted and queue; once the root resumes
// every one is applied exactly once and the books of every edge balance.
func disjointRootPaused(t *testing.T, d *devnet) {
	alpha, one := djClient(t, d, 4, djAlpha), djClient(t, d, 5, djOne)
	before := localTx(t, d, alpha, 1, 30*time.Second)
	rootPIDs := []int{d.m.Nodes[0].PID, d.m.Nodes[1].PID, d.m.Nodes[2].PID, d.m.Nodes[3].PID}
	rootHeight := func() uint64 { // node4's answer: a failed read is asked again, not read as 0
		var n uint64
		waitFor(t, "node4's root height", 20*time.Second, func() bool {
			var err error
			n, err = djClient(t, d, 4, djRoot).BlockNumber(context.Background())
			return err == nil
		})
		return n
	}
	if err := faults.Pause(rootPIDs...); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			faults.Resume(rootPIDs...)
		}
	}()
	frozen := rootHeight()

	// The down direction: a fund to alpha submitted through node4, a
	// follower of the root, waits in its pool while the root is stopped.
	fundTo := common.HexToAddress("0x00000000000000000000000000000000fa0d0001")
	funded := make(chan error, 1)
	go func() {
		out, err := exec.Command(aspenBin, "xfer", "fund", djAlpha, "--to", fundTo.Hex(), "--value", "1", "--home", home(d, 4), "--timeout", "2m", "--json").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out)
		}
		funded <- err
	}()
	// Cross-subnet sends are accepted and queue.
	type queued struct {
		msg   sentMsg
		to    common.Address
		chain string
	}
	var msgs []queued
	for k := 0; k < 4; k++ {
		to := common.BigToAddress(big.NewInt(int64(0xfa0100 + k)))
		var m sentMsg
		var out, chain string
		if k%2 == 0 {
			out, chain = aspen(t, "xfer", "release", djAlpha, "--to", to.Hex(), "--value", "1", "--home", home(d, 4), "--json"), djRoot
		} else {
			out, chain = aspen(t, "xfer", "send", djBeta, "--src", djOne, "--to", to.Hex(), "--value", "1", "--home", home(d, 5), "--json"), djBeta
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, queued{m, to, chain})
	}
	// Local work goes on below the root, for a while: long enough for
	// alpha and alpha/one to checkpoint the messages (period 5 blocks).
	// node4 may still apply the one block the validators committed as they
	// were stopped (its commit was on the wire): the root's height settles
	// at most one above what node4 showed at the pause, by the middle of
	// the window, and then must not move.
	// On a loaded machine one round of local transactions can outlast the
	// window: the loop goes on until the settled height was read and 3 s
	// more have passed.
	var during []time.Duration
	settled, settledAt := uint64(0), time.Time{}
	a0, _ := alpha.BlockNumber(context.Background())
	for time.Since(paused) < 6*time.Second || settled == 0 || time.Since(settledAt) < 3*time.Second {
		during = append(during, localTx(t, d, alpha, 1, 20*time.Second), localTx(t, d, one, 2, 20*time.Second))
		if settled == 0 && time.Since(paused) >= 3*time.Second {
			settled, settledAt = rootHeight(), time.Now()
		}
	}
	a1, _ := alpha.BlockNumber(context.Background())
	if h := rootHeight(); settled == 0 || h != settled || settled > frozen+1 {
		t.Fatalf("the root moved from %d (at the pause) to %d (3 s later) and %d (6 s later) with every validator paused", frozen, settled, h)
	}
	stalled := time.Since(paused)
	if err := faults.Resume(rootPIDs...); err != nil {
		t.Fatal(err)
	}
	resumed = true
	heal := time.Now()
	t.Logf("root paused %s: alpha made %d blocks; local tx latency before %s, during (alpha, alpha/one alternately) %v",
		stalled.Round(time.Millisecond), a1-a0, before.Round(time.Millisecond), during)

	coin := big.NewInt(1e18)
	arrived := make([]time.Duration, len(msgs))
	waitFor(t, "every queued message to be applied", 90*time.Second, func() bool {
		all := true
		for i, m := range msgs {
			if arrived[i] > 0 {
				continue
			}
			b, err := djClient(t, d, 0, m.chain).BalanceAt(context.Background(), m.to, nil)
			if err == nil && b.Sign() > 0 {
				arrived[i] = time.Since(heal)
			} else {
				all = false
			}
		}
		return all
	})
	first, last := slices.Min(arrived), slices.Max(arrived)
	t.Logf("after resume: %d up/across messages sent during the pause, first applied after %s, last after %s", len(msgs), first.Round(time.Millisecond), last.Round(time.Millisecond))
	select {
	case err := <-funded:
		if err != nil {
			t.Fatalf("fund queued during the pause: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the fund queued during the pause was not included 60s after the resume")
	}
	waitFor(t, "the queued fund to reach alpha", 60*time.Second, func() bool {
		b, err := djClient(t, d, 7, djAlpha).BalanceAt(context.Background(), fundTo, nil)
		return err == nil && b.Sign() > 0
	})
	t.Logf("the fund queued in a follower's pool during the pause was applied on alpha %s after the resume", time.Since(heal).Round(time.Millisecond))
	if b, _ := djClient(t, d, 4, djAlpha).BalanceAt(context.Background(), fundTo, nil); b.Cmp(coin) != 0 {
		t.Errorf("the fund credited %v on alpha, want exactly 1 coin", b)
	}
	// Exactly once: each paid exactly its one coin on every node serving it,
	// also a few blocks later.
	localTx(t, d, djClient(t, d, 0, djRoot), 3, 30*time.Second)
	for _, m := range msgs {
		for _, i := range []int{0, 3} {
			if b, _ := djClient(t, d, i, m.chain).BalanceAt(context.Background(), m.to, nil); b.Cmp(coin) != 0 {
				t.Errorf("node%d: %s holds %v on %s, want exactly 1 coin", i, m.to, b, m.chain)
			}
		}
		if hops := followMsgOn(t, d, m.msg); hops[len(hops)-1].State != client.HopApplied {
			t.Errorf("message %s ended %+v", m.msg.MsgID, hops)
		}
	}
	djBooks(t, d)
}

// followMsgOn follows m hop by hop, reading each chain on a node that runs it.
func followMsgOn(t *testing.T, d *devnet, m sentMsg) []client.Hop {
	t.Helper()
	urls := map[string]string{djRoot: d.m.Nodes[0].RPC, djBeta: d.m.Nodes[0].RPC + djBeta, djAlpha: d.m.Nodes[4].RPC + djAlpha, djOne: d.m.Nodes[4].RPC + djOne}
	tr, err := client.NewTracker(client.RPCLogs{URL: func(chain types.SubnetID) (string, error) { return urls[string(chain)], nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := tr.Find(ctx, types.SubnetID(m.Src), m.MsgID)
	if err != nil {
		t.Fatal(err)
	}
	hops := []client.Hop{r.Sent}
	for _, chain := range r.Path[1:] {
		h, err := tr.Wait(ctx, r, chain)
		if err != nil {
			t.Fatalf("message %s at %s: %v", m.MsgID, chain, err)
		}
		hops = append(hops, h)
	}
	return hops
}

// djBooks checks every edge of the disjoint tree: the parent holds for
// each child exactly its supply plus the fees it burned. A child's supply
// is read on a node that runs it, the parent's books on one that runs the
// parent.
func djBooks(t *testing.T, d *devnet) {
	t.Helper()
	edges := []struct {
		parentURL, child string
		childNode        int
	}{
		{d.m.Nodes[0].RPC, djBeta, 0},
		{d.m.Nodes[4].RPC, djAlpha, 4},
		{d.m.Nodes[4].RPC + djAlpha, djOne, 4},
	}
	for _, e := range edges {
		waitFor(t, "the books of "+e.child+" to balance", 30*time.Second, func() bool {
			c, err := gethrpc.Dial(d.m.Nodes[e.childNode].RPC)
			if err != nil {
				return false
			}
			defer c.Close()
			var sup struct {
				Supply     *hexutil.Big `json:"supply"`
				FeesBurned *hexutil.Big `json:"feesBurned"`
			}
			if err := c.Call(&sup, "aspen_supply", e.child); err != nil {
				return false
			}
			held := circulating(t, e.parentURL, e.child)
			want := new(big.Int).Add(sup.Supply.ToInt(), sup.FeesBurned.ToInt())
			if held.Cmp(want) != 0 {
				t.Logf("%s: the parent holds %v for it, its supply is %v and it burned %v", e.child, held, sup.Supply, sup.FeesBurned)
				return false
			}
			return true
		})
	}
}

// disjointWipedValidator: node5 (alpha and alpha/one) is killed, its data
// directory wiped, and restarted: it catches up both chains from its peers,
// and votes again: with node7 paused alpha needs node5's vote for a
// quorum (3 of 4), and alpha/one needs all three of its validators. No
// ValidatorSlashed is ever logged for either chain.
//
// Why it cannot sign a conflicting vote: its consensus WAL (what it signed
// since each chain's last final block) lives beside its keys, not in the
// data directory, so the wipe keeps it (checked below); the restarted node
// replays it at genesis, and bft keeps the entries of heights it has not
// reached until block sync takes it there (consensus/bft
// TestReplayOfLaterHeightsSurvivesAWipe). That matters most on alpha/one,
// which needs all three validators: had it been mid-height when node5
// died, it waits there, and node5 comes back to a height it voted at.
// The restarted node lives as long as parent, the devnet's test.
func disjointWipedValidator(t, parent *testing.T, d *devnet) {
	const wiped, other = 5, 7
	n := &bftNet{devnet: d}
	n.kill(t, wiped, d.m.Nodes[wiped].PID)
	if err := faults.WipeData(home(d, wiped)); err != nil {
		t.Fatal(err)
	}
	if logs, _ := filepath.Glob(filepath.Join(home(d, wiped), "keys", "signed", "*.wal")); len(logs) < 3 {
		t.Fatalf("after the wipe node5 keeps %d consensus logs beside its keys, want the root's, alpha's and alpha/one's: %v", len(logs), logs)
	}
	// The chains move on without it meanwhile.
	localTx(t, d, djClient(t, d, 4, djAlpha), 4, 30*time.Second)
	start := time.Now()
	n.restart(parent, wiped)
	ctx := context.Background()
	for _, chain := range []string{djAlpha, djOne} {
		target, err := djClient(t, d, 4, chain).BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "node5 to catch up "+chain, 60*time.Second, func() bool {
			c, err := ethclient.Dial(d.m.Nodes[wiped].RPC + chain)
			if err != nil {
				return false
			}
			defer c.Close()
			h, err := c.BlockNumber(ctx)
			return err == nil && h >= target
		})
	}
	t.Logf("wiped node5 caught up alpha and alpha/one %s after its restart", time.Since(start).Round(time.Millisecond))

	if err := faults.Pause(d.m.Nodes[other].PID); err != nil {
		t.Fatal(err)
	}
	defer faults.Resume(d.m.Nodes[other].PID)
	t.Logf("alpha tx with node5 needed for the quorum: %s", localTx(t, d, djClient(t, d, 4, djAlpha), 5, 45*time.Second).Round(time.Millisecond))
	t.Logf("alpha/one tx with every validator needed: %s", localTx(t, d, djClient(t, d, 4, djOne), 5, 45*time.Second).Round(time.Millisecond))
	faults.Resume(d.m.Nodes[other].PID)

	noSlash(t, d, 4, djRoot)
	noSlash(t, d, 4, djAlpha)
}

// noSlash asserts that no ValidatorSlashed was logged on chain (read on node i).
func noSlash(t *testing.T, d *devnet, i int, chain string) {
	t.Helper()
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	q := ethereum.FilterQuery{Addresses: []common.Address{gateway.Address}, Topics: [][]common.Hash{{gw.Events["ValidatorSlashed"].ID}}}
	logs, err := djClient(t, d, i, chain).FilterLogs(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 0 {
		t.Fatalf("%d ValidatorSlashed on %s", len(logs), chain)
	}
}

// sameChain asserts that nodes a and b hold the same block at every height
// of chain up to the lower of their heads: nothing forked.
func sameChain(t *testing.T, d *devnet, chain string, a, b int) uint64 {
	t.Helper()
	ctx := context.Background()
	ca, cb := djClient(t, d, a, chain), djClient(t, d, b, chain)
	ha, _ := ca.BlockNumber(ctx)
	hb, _ := cb.BlockNumber(ctx)
	top := min(ha, hb)
	for h := uint64(1); h <= top; h++ {
		x, err := ca.HeaderByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			t.Fatal(err)
		}
		y, err := cb.HeaderByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			t.Fatal(err)
		}
		if x.Hash() != y.Hash() {
			t.Fatalf("%s forked at %d: node%d has %s, node%d %s", chain, h, a, x.Hash(), b, y.Hash())
		}
	}
	return top
}

// disjointChildSplit: alpha's four validators split two and two (and
// alpha/one's three, two and one): neither side has a quorum, so alpha halts
// with a transaction pending rather than fork; once healed the transaction
// is final, both sides hold the same blocks, and nobody was slashed.
func disjointChildSplit(t *testing.T, d *devnet, net *faults.Network) {
	ctx := context.Background()
	left, right := nodeNames(d, 4, 5), nodeNames(d, 6, 7)
	if err := net.Partition(left, right); err != nil {
		t.Fatal(err)
	}
	healed := false
	defer func() {
		if !healed {
			net.Heal()
		}
	}()
	split := time.Now()
	key, _ := d.m.Accounts[6].Key()
	alpha4, alpha7 := djClient(t, d, 4, djAlpha), djClient(t, d, 7, djAlpha)
	chainID, _ := alpha4.ChainID(ctx)
	nonce, _ := alpha4.PendingNonceAt(ctx, d.m.Accounts[6].Address)
	to := common.HexToAddress("0x00000000000000000000000000000000005b1175")
	tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(100e9), Gas: 21000, To: &to, Value: big.NewInt(7)})
	if err := alpha4.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	// Watch both sides for a while: neither may finalize it (a block or
	// two already under way when the links went may still land).
	h4, _ := alpha4.BlockNumber(ctx)
	h7, _ := alpha7.BlockNumber(ctx)
	watch := time.After(4 * time.Second)
	for done := false; !done; {
		select {
		case <-watch:
			done = true
		case <-time.After(200 * time.Millisecond):
		}
		for _, c := range []*ethclient.Client{alpha4, alpha7} {
			if r, err := c.TransactionReceipt(ctx, tx.Hash()); err == nil {
				t.Fatalf("a transaction was final on a split alpha (block %d)", r.BlockNumber)
			}
		}
	}
	n4, _ := alpha4.BlockNumber(ctx)
	n7, _ := alpha7.BlockNumber(ctx)
	if n4 > h4+2 || n7 > h7+2 {
		t.Fatalf("a split alpha kept making blocks: node4 %d -> %d, node7 %d -> %d", h4, n4, h7, n7)
	}
	if err := net.Heal(); err != nil {
		t.Fatal(err)
	}
	healed = true
	heal := time.Now()
	waitFor(t, "the pending transaction after the heal", 60*time.Second, func() bool {
		r, err := alpha7.TransactionReceipt(ctx, tx.Hash())
		return err == nil && r.Status == gethtypes.ReceiptStatusSuccessful
	})
	t.Logf("alpha split %s (heights node4 %d->%d, node7 %d->%d); the pending tx final %s after the heal",
		heal.Sub(split).Round(time.Millisecond), h4, n4, h7, n7, time.Since(heal).Round(time.Millisecond))
	// alpha/one (node4-6, all needed) was split too: its rounds grew while
	// it waited, so it may take a few more to decide.
	oneBack := localTx(t, d, djClient(t, d, 6, djOne), 7, 45*time.Second)
	t.Logf("alpha/one: a tx sent %s after the heal final in %s", time.Since(heal).Round(time.Millisecond)-oneBack.Round(time.Millisecond), oneBack.Round(time.Millisecond))
	top := sameChain(t, d, djAlpha, 4, 7)
	sameChain(t, d, djOne, 4, 6)
	if b, _ := alpha7.BalanceAt(ctx, to, nil); b.Int64() != 7 {
		t.Fatalf("recipient holds %v on alpha, want 7 wei", b)
	}
	noSlash(t, d, 4, djRoot)
	noSlash(t, d, 4, djAlpha)
	t.Logf("alpha agrees on node4 and node7 up to %d", top)
}

// crossRound sends a release from alpha to the root and a send from
// alpha/one to beta, and returns how long each took to be applied (its
// value credited on node0), checking each paid exactly once.
func crossRound(t *testing.T, d *devnet, tag int64) (release, send time.Duration) {
	t.Helper()
	coin := big.NewInt(1e18)
	run := func(to common.Address, chain string, args ...string) time.Duration {
		start := time.Now()
		var m sentMsg
		if err := json.Unmarshal([]byte(aspen(t, args...)), &m); err != nil {
			t.Fatal(err)
		}
		c := djClient(t, d, 0, chain)
		waitFor(t, "message "+m.MsgID.Hex()+" to "+chain, 90*time.Second, func() bool {
			b, err := c.BalanceAt(context.Background(), to, nil)
			return err == nil && b.Sign() > 0
		})
		took := time.Since(start)
		if b, _ := c.BalanceAt(context.Background(), to, nil); b.Cmp(coin) != 0 {
			t.Fatalf("%s holds %v on %s, want exactly 1 coin", to, b, chain)
		}
		return took
	}
	a := common.BigToAddress(big.NewInt(0x5100_0000 + 2*tag))
	b := common.BigToAddress(big.NewInt(0x5100_0000 + 2*tag + 1))
	release = run(a, djRoot, "xfer", "release", djAlpha, "--to", a.Hex(), "--value", "1", "--home", home(d, 4), "--json")
	send = run(b, djBeta, "xfer", "send", djBeta, "--src", djOne, "--to", b.Hex(), "--value", "1", "--home", home(d, 5), "--json")
	return release, send
}

// disjointSlowLevels: 30 % loss and 200 ms of latency (±50 ms) on every
// link between the root's nodes and alpha's: the root and alpha keep
// making blocks, cross-subnet messages between the levels still arrive
// exactly once, and the test reports how much slower they are.
func disjointSlowLevels(t *testing.T, d *devnet, net *faults.Network) {
	ctx := context.Background()
	baseRel, baseSend := crossRound(t, d, 1)
	top, bottom := nodeNames(d, 0, 1, 2, 3), nodeNames(d, 4, 5, 6, 7)
	if err := net.Degrade(top, bottom, 200*time.Millisecond, 50*time.Millisecond, 0.3, 0); err != nil {
		t.Fatal(err)
	}
	defer net.Heal()
	root4, alpha4 := djClient(t, d, 4, djRoot), djClient(t, d, 4, djAlpha)
	r0, _ := root4.BlockNumber(ctx)
	slowRel, slowSend := crossRound(t, d, 2)
	localTx(t, d, alpha4, 8, 30*time.Second)
	r1, _ := root4.BlockNumber(ctx)
	if r1 <= r0 {
		t.Fatalf("alpha's nodes saw the root stuck at %d over slow links", r0)
	}
	t.Logf("cross-subnet latency, release alpha->root: %s healthy, %s with 30%% loss + 200ms; send alpha/one->beta: %s healthy, %s slow (root seen from alpha +%d blocks meanwhile)",
		baseRel.Round(time.Millisecond), slowRel.Round(time.Millisecond), baseSend.Round(time.Millisecond), slowSend.Round(time.Millisecond), r1-r0)
	if err := net.Heal(); err != nil {
		t.Fatal(err)
	}
	djBooks(t, d)
}

// disjointPartitionedLevels: every link between the root's nodes and
// alpha's cut for a while (longer than gossip remembers a message): alpha
// keeps finalizing, a release sent meanwhile queues, and after the heal it
// is applied on the root exactly once. It failed until nodes published
// again what waited in their pools (node/rebroadcast.go): the checkpoint
// alpha's followers submit to the root while cut off went out to nobody,
// and every later transaction of the same account waited behind its nonce.
func disjointPartitionedLevels(t *testing.T, d *devnet, net *faults.Network) {
	ctx := context.Background()
	top, bottom := nodeNames(d, 0, 1, 2, 3), nodeNames(d, 4, 5, 6, 7)
	if err := net.Partition(top, bottom); err != nil {
		t.Fatal(err)
	}
	healed := false
	defer func() {
		if !healed {
			net.Heal()
		}
	}()
	cut := time.Now()
	to := common.HexToAddress("0x00000000000000000000000000000000cafe0001")
	var m sentMsg
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "release", djAlpha, "--to", to.Hex(), "--value", "1", "--home", home(d, 4), "--json")), &m); err != nil {
		t.Fatal(err)
	}
	alpha := djClient(t, d, 6, djAlpha)
	for time.Since(cut) < 8*time.Second {
		localTx(t, d, alpha, 1, 20*time.Second)
	}
	if err := net.Heal(); err != nil {
		t.Fatal(err)
	}
	healed = true
	heal := time.Now()
	root := djClient(t, d, 0, djRoot)
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := root.BalanceAt(ctx, to, nil)
		if err == nil && b.Sign() > 0 {
			if b.Cmp(big.NewInt(1e18)) != 0 {
				t.Fatalf("the release paid %v, want exactly 1 coin", b)
			}
			break
		}
		if time.Now().After(deadline) {
			for i := 4; i < 8; i++ {
				acct := d.m.Nodes[i].Account
				mined, _ := root.NonceAt(ctx, acct, nil)
				pending, _ := djClient(t, d, i, djRoot).PendingNonceAt(ctx, acct)
				t.Logf("node%d's account on the root: %d mined (node0), %d pending in its own pool", i, mined, pending)
			}
			info := subnetInfo(t, d.m.Nodes[0].RPC, djAlpha)
			t.Fatalf("the release sent during the partition is not applied 60s after the heal; the root's last checkpoint of alpha is %d", info.LastCheckpointHeight)
		}
		<-time.After(200 * time.Millisecond)
	}
	t.Logf("levels cut %s; the release sent meanwhile applied %s after the heal", heal.Sub(cut).Round(time.Millisecond), time.Since(heal).Round(time.Millisecond))
	djBooks(t, d)
}
