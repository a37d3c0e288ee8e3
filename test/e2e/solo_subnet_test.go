package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// testSoloSubnet (TestSharedRoot/SoloSubnet): a subnet with the solo engine
// (one sequencer, created and joined from the CLI) starts on its sequencer's node only, applies a fund
// from the root, and sends value back up through checkpoints its sequencer
// alone signs.
func testSoloSubnet(t *testing.T, n *bftNet) {
	home := func(i int) string { return filepath.Join(n.home, "node"+strconv.Itoa(i)) }
	const app = "/devnet/app"
	aspen(t, "subnet", "create", app, "--engine", "solo", "--min-validators", "1", "--min-collateral", "1", "--block-time", "200ms", "--checkpoint-period", "3", "--home", home(0), "--json")
	aspen(t, "subnet", "join", app, "--collateral", "1", "--home", home(2), "--json")
	waitFor(t, "node2 to sequence "+app, time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[2].RPC)[app] == "validator"
	})
	if _, ok := servedSubnets(t, n.m.Nodes[0].RPC)[app]; ok {
		t.Fatalf("node0 holds no seat in %s but serves it", app)
	}
	owner := common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home(2), "--json"), "account")))
	aspen(t, "xfer", "fund", app, "--to", owner.Hex(), "--value", "3", "--home", home(1), "--json")
	ctx := context.Background()
	c, _ := ethclient.Dial(n.m.Nodes[2].RPC + app)
	waitFor(t, "the fund on "+app, time.Minute, func() bool {
		b, err := c.BalanceAt(ctx, owner, nil)
		return err == nil && b.Sign() > 0
	})
	to := common.HexToAddress("0x00000000000000000000000000000000005010aa")
	var rel sentMsg
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "release", app, "--to", to.Hex(), "--value", "1", "--home", home(2), "--json")), &rel); err != nil {
		t.Fatal(err)
	}
	if hops := followMsg(t, home(2), rel); len(hops) != 2 || hops[1].State != "applied" {
		t.Fatalf("release from the solo subnet: %+v", hops)
	}
	// Ask the node whose root chain the tracker read: another may be a block behind.
	root, _ := ethclient.Dial(n.m.Nodes[2].RPC)
	if b, _ := root.BalanceAt(ctx, to, nil); b.Cmp(big.NewInt(1e18)) != 0 {
		t.Fatalf("root paid %v, want exactly 1 coin", b)
	}
}
