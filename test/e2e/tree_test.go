package e2e

import (
	"context"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// testDefaultDevnetTree (TestSharedTree/DefaultDevnetTree): `aspen devnet`
// with no engine flags runs four validator processes, the root and the subnets /devnet/alpha (node0-2),
// /devnet/beta (node1-3) and the grandchild /devnet/alpha/one (node0-2,
// created by a transaction on alpha), lists them in devnet.json with their
// chain IDs, funds the dev accounts on every one, and keeps one connection
// per pair of nodes however many subnets they share.
func testDefaultDevnetTree(t *testing.T, d *devnet) {
	want := map[string][]int{"/devnet": {0, 1, 2, 3}, "/devnet/alpha": {0, 1, 2}, "/devnet/beta": {1, 2, 3}, "/devnet/alpha/one": {0, 1, 2}}
	if len(d.m.Subnets) != len(want) {
		t.Fatalf("devnet.json lists %d subnets, want %d", len(d.m.Subnets), len(want))
	}
	for _, s := range d.m.Subnets {
		members, ok := want[s.ID]
		if !ok {
			t.Fatalf("unexpected subnet %s", s.ID)
		}
		if s.ID != "/devnet" && s.ChainID != gateway.ChainIDFor(types.SubnetID(s.ID)) {
			t.Fatalf("%s: chain ID %d, want %d", s.ID, s.ChainID, gateway.ChainIDFor(types.SubnetID(s.ID)))
		}
		if len(s.RPC) != len(members) {
			t.Fatalf("%s: %d RPC URLs, want %d", s.ID, len(s.RPC), len(members))
		}
		for _, i := range members {
			if !strings.Contains(strings.Join(d.m.Nodes[i].ValidatorOf, ","), s.ID) {
				t.Fatalf("node%d's validatorOf %v lacks %s", i, d.m.Nodes[i].ValidatorOf, s.ID)
			}
		}
	}

	// Transact on the grandchild with a dev account funded there.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := ethclient.DialContext(ctx, d.m.Nodes[2].RPC+"/devnet/alpha/one")
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acct := d.m.Accounts[3]
	key, _ := acct.Key()
	if bal, err := c.BalanceAt(ctx, acct.Address, nil); err != nil || bal.Sign() == 0 {
		t.Fatalf("dev account 3 holds %v on /devnet/alpha/one (err %v), want its devnet funds", bal, err)
	}
	to := common.HexToAddress("0x0000000000000000000000000000000000000123")
	tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21000, To: &to, Value: big.NewInt(5),
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the transfer on /devnet/alpha/one", time.Minute, func() bool {
		r, err := c.TransactionReceipt(ctx, tx.Hash())
		return err == nil && r.Status == 1
	})

	// node1 and node2 share all four subnets over one connection.
	for i := range d.m.Nodes {
		rc, err := gethrpc.Dial(d.m.Nodes[i].RPC)
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			Peers []struct {
				PeerID      string   `json:"peerId"`
				Connections int      `json:"connections"`
				Subnets     []string `json:"subnets"`
			} `json:"peers"`
		}
		waitFor(t, "node"+strconv.Itoa(i)+" to hold one connection per peer", 30*time.Second, func() bool {
			if err := rc.Call(&info, "aspen_nodeInfo"); err != nil {
				return false
			}
			for _, p := range info.Peers {
				if p.Connections != 1 {
					return false
				}
			}
			return len(info.Peers) == 3
		})
		if i == 1 {
			for _, p := range info.Peers {
				if p.PeerID == d.m.Nodes[2].PeerID {
					sort.Strings(p.Subnets)
					if len(p.Subnets) != 4 {
						t.Fatalf("node1 shares %v with node2, want all four subnets", p.Subnets)
					}
				}
			}
		}
		rc.Close()
	}
}
