package node

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/objects"
)

// TestObjectsAPI: a note deposited with a real transaction is found by
// aspen_objectsOf and aspen_getObject over the node's RPC; unknown ids and
// subnets are refused with a reason.
func TestObjectsAPI(t *testing.T) {
	n := newTestNode(t, 50*time.Millisecond)
	ctx := context.Background()
	c, err := ethclient.Dial(n.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	from := gethcrypto.PubkeyToAddress(n.user.PublicKey)
	a, err := objects.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := a.Pack("deposit")
	to := objects.Address
	tx, _ := gethtypes.SignNewTx(n.user, gethtypes.LatestSignerForChainID(n.chainID), &gethtypes.DynamicFeeTx{
		ChainID: n.chainID, Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 300_000, To: &to, Value: big.NewInt(777), Data: data,
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if r := waitReceipt(t, c, tx.Hash()); r.Status != 1 {
		t.Fatalf("deposit failed: %+v", r)
	}
	var page ObjectsPage
	if err := c.Client().Call(&page, "aspen_objectsOf", from); err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 || page.Objects[0].Owner != from || page.Objects[0].Amount.ToInt().Int64() != 777 ||
		page.Objects[0].Kind != "native" || page.Objects[0].Subnet != "/testnet" || len(page.Objects[0].Deps) != 0 {
		t.Fatalf("objectsOf: %+v", page.Objects)
	}
	var got ObjectStatus
	if err := c.Client().Call(&got, "aspen_getObject", page.Objects[0].ID); err != nil {
		t.Fatal(err)
	}
	if got.ID != page.Objects[0].ID || got.Owner != from {
		t.Fatalf("getObject: %+v", got)
	}
	if err := c.Client().Call(&got, "aspen_getObject", common.Hash{1}); err == nil {
		t.Fatal("an unknown object was found")
	}
	if err := c.Client().Call(&page, "aspen_objectsOf", from, "/nowhere"); err == nil {
		t.Fatal("objectsOf on a subnet the node does not serve answered")
	}
	if err := c.Client().Call(&page, "aspen_objectsOf", common.Address{0xb0}, "/testnet"); err != nil || len(page.Objects) != 0 {
		t.Fatalf("objectsOf of an owner with nothing: %+v %v", page.Objects, err)
	}
}
