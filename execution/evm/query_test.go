package evm

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// deployToken deploys testdata/Token.sol from account 0 and returns its address.
func deployToken(t *testing.T, c *testChain) common.Address {
	t.Helper()
	tx := c.tx(0, nil, new(big.Int), 2_000_000, hexutil.MustDecode(tokenBytecode), big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	ex := c.block(tx)
	r := ex.Receipts[0]
	if r.Status != gethtypes.ReceiptStatusSuccessful {
		t.Fatalf("deploy failed: %+v", r)
	}
	addr := crypto.CreateAddress(c.addrs[0], tx.Nonce())
	if rs, _ := c.ex.Receipts(ex.Block.Hash()); rs[0].ContractAddress != addr {
		t.Fatalf("receipt contract address %s, want %s", rs[0].ContractAddress, addr)
	}
	return addr
}

func call(t *testing.T, c *testChain, args execution.CallArgs) *execution.CallResult {
	t.Helper()
	res, err := c.ex.Call(context.Background(), nil, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestContractDeployCallLogsRevert(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	tok := parseABI(t, tokenABI)
	addr := deployToken(t, c)

	// A transfer emits Transfer(from, to, value) with the right topics.
	to := c.addrs[1]
	ex := c.block(c.tx(0, &addr, new(big.Int), 200_000, mustPack(t, tok, "transfer", to, big.NewInt(500)), big.NewInt(1), big.NewInt(params.GWei*2)))
	rs, err := c.ex.Receipts(ex.Block.Hash())
	if err != nil {
		t.Fatal(err)
	}
	logs := rs[0].Logs
	if rs[0].Status != 1 || len(logs) != 1 || logs[0].Address != addr || logs[0].Topics[0] != tok.Events["Transfer"].ID ||
		logs[0].Topics[2] != common.BytesToHash(to.Bytes()) || new(big.Int).SetBytes(logs[0].Data).Int64() != 500 {
		t.Fatalf("transfer receipt %+v logs %+v", rs[0], logs)
	}
	if logs[0].BlockHash != ex.Block.Hash() || logs[0].TxHash != ex.Block.Txs[0].Hash() {
		t.Fatal("log location fields not derived")
	}
	if !ex.Block.Header.Bloom.Test(addr.Bytes()) {
		t.Fatal("block bloom misses the token address")
	}

	// eth_call reads the new balance.
	res := call(t, c, execution.CallArgs{From: to, To: &addr, Data: mustPack(t, tok, "balanceOf", to)})
	if res.Err != nil || new(big.Int).SetBytes(res.ReturnData).Int64() != 500 {
		t.Fatalf("balanceOf = %x, %v", res.ReturnData, res.Err)
	}

	// A transfer beyond the balance reverts with the reason, as geth reports it.
	over := mustPack(t, tok, "transfer", c.addrs[0], big.NewInt(501))
	res = call(t, c, execution.CallArgs{From: to, To: &addr, Data: over})
	var rerr *RevertError
	if !errors.As(res.Err, &rerr) {
		t.Fatalf("reverting call: Err = %v, want *RevertError", res.Err)
	}
	if rerr.Error() != "execution reverted: insufficient balance" || rerr.ErrorCode() != 3 {
		t.Fatalf("revert error %q code %d", rerr.Error(), rerr.ErrorCode())
	}
	if reason, _ := abi.UnpackRevert(res.ReturnData); reason != "insufficient balance" || rerr.ErrorData() != hexutil.Encode(res.ReturnData) {
		t.Fatalf("revert data %x, ErrorData %v", res.ReturnData, rerr.ErrorData())
	}
	if !errors.Is(res.Err, vm.ErrExecutionReverted) {
		t.Fatal("RevertError does not unwrap to vm.ErrExecutionReverted")
	}
	// EstimateGas returns the same error.
	if _, err := c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: to, To: &addr, Data: over}, nil); !errors.As(err, &rerr) || !strings.Contains(err.Error(), "insufficient balance") {
		t.Fatalf("EstimateGas of a revert: %v", err)
	}
	// In a block, the reverted transaction is included with status 0 and pays gas.
	ex = c.block(c.tx(1, &addr, new(big.Int), 200_000, over, big.NewInt(1), big.NewInt(params.GWei*2)))
	if ex.Receipts[0].Status != 0 {
		t.Fatal("reverted tx has status 1")
	}
}

func TestGatewayViaCall(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	for method, want := range map[string]string{"subnetId": "/devnet", "parentId": ""} {
		res := call(t, c, execution.CallArgs{To: &gateway.Address, Data: mustPack(t, gw, method)})
		if res.Err != nil {
			t.Fatalf("%s: %v", method, res.Err)
		}
		out, err := gw.Unpack(method, res.ReturnData)
		if err != nil || out[0].(string) != want {
			t.Fatalf("%s() = %v %v, want %q", method, out, err, want)
		}
	}
	// Refused calls revert with a readable reason.
	res := call(t, c, execution.CallArgs{To: &gateway.Address, Data: mustPack(t, gw, "release", common.Address{1})})
	if res.Err == nil || res.Err.Error() != "execution reverted: gateway: release: /devnet is a root chain and has no parent; use fund or send to move value to a subnet" {
		t.Fatalf("release(): %v", res.Err)
	}
	// A contract calling the gateway from Solidity sees the same.
	addr := deployToken(t, c)
	tok := parseABI(t, tokenABI)
	res = call(t, c, execution.CallArgs{To: &addr, Data: mustPack(t, tok, "gatewaySubnet")})
	if res.Err != nil {
		t.Fatalf("gatewaySubnet: %v", res.Err)
	}
	if out, err := tok.Unpack("gatewaySubnet", res.ReturnData); err != nil || out[0].(string) != "/devnet" {
		t.Fatalf("gatewaySubnet() = %v %v", out, err)
	}
}

func TestBlockHash(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	addr := deployToken(t, c) // block 1
	b2 := c.block()
	tok := parseABI(t, tokenABI)
	for n, want := range map[int64]common.Hash{0: c.mustHash(0), 2: b2.Block.Hash(), 3: {}} {
		res := call(t, c, execution.CallArgs{To: &addr, Data: mustPack(t, tok, "hashOf", big.NewInt(n))})
		if res.Err != nil || common.BytesToHash(res.ReturnData) != want {
			t.Errorf("blockhash(%d) = %x, want %s (%v)", n, res.ReturnData, want, res.Err)
		}
	}
}

func (c *testChain) mustHash(n uint64) common.Hash {
	h, err := c.st.CanonicalHash(n)
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

func TestEstimateGas(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	gas, err := c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: c.addrs[0], To: &common.Address{9}, Value: big.NewInt(1)}, nil)
	if err != nil || gas != params.TxGas {
		t.Fatalf("transfer estimate %d %v, want 21000", gas, err)
	}
	addr := deployToken(t, c)
	tok := parseABI(t, tokenABI)
	data := mustPack(t, tok, "scribble", big.NewInt(20))
	gas, err = c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: c.addrs[1], To: &addr, Data: data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The estimate must be enough: a transaction with exactly that gas succeeds.
	ex := c.block(c.tx(1, &addr, new(big.Int), gas, data, big.NewInt(1), big.NewInt(params.GWei*2)))
	if ex.Receipts[0].Status != 1 {
		t.Fatalf("tx with the estimated %d gas failed", gas)
	}
	// And not wildly more than needed.
	if used := ex.Receipts[0].GasUsed; gas > used*11/10+params.CallStipend {
		t.Fatalf("estimate %d much above the %d used", gas, used)
	}
}

func TestCallOverridesAndContext(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	nobody := common.HexToAddress("0xdead")
	code := []byte{byte(vm.PUSH1), 0x2a, byte(vm.PUSH1), 0, byte(vm.MSTORE), byte(vm.PUSH1), 32, byte(vm.PUSH1), 0, byte(vm.RETURN)} // returns 42
	res, err := c.ex.Call(context.Background(), nil, execution.CallArgs{To: &nobody}, map[common.Address]execution.Override{nobody: {Code: code}})
	if err != nil || new(big.Int).SetBytes(res.ReturnData).Int64() != 42 {
		t.Fatalf("call with code override = %x, %v", res.ReturnData, err)
	}
	if got := c.balance(nobody); got.Sign() != 0 {
		t.Fatal("an override leaked into the real state")
	}
	// An infinite loop stops when the context is cancelled.
	loop := []byte{byte(vm.JUMPDEST), byte(vm.PUSH1), 0, byte(vm.JUMP)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.ex.Call(ctx, nil, execution.CallArgs{To: &nobody}, map[common.Address]execution.Override{nobody: {Code: loop}})
	if !errors.Is(err, ErrCallAborted) {
		t.Fatalf("cancelled call: %v, want ErrCallAborted", err)
	}
	// Without cancellation the gas cap stops it.
	res, err = c.ex.Call(context.Background(), nil, execution.CallArgs{To: &nobody}, map[common.Address]execution.Override{nobody: {Code: loop}})
	if err != nil || !errors.Is(res.Err, vm.ErrOutOfGas) || res.UsedGas != c.ex.GasCap() {
		t.Fatalf("looping call: %+v %v", res, err)
	}
}

func TestCreateAccessList(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	addr := deployToken(t, c)
	tok := parseABI(t, tokenABI)
	data := mustPack(t, tok, "balanceOf", c.addrs[1])
	acl, gas, err := c.ex.CreateAccessList(context.Background(), nil, execution.CallArgs{From: c.addrs[1], To: &addr, Data: data})
	if err != nil || gas == 0 {
		t.Fatalf("CreateAccessList: %v %d", err, gas)
	}
	// As in geth, the target's address is implied but the slots it reads are listed.
	slot := crypto.Keccak256Hash(common.LeftPadBytes(c.addrs[1].Bytes(), 32), common.LeftPadBytes(nil, 32))
	if len(acl) != 1 || acl[0].Address != addr || len(acl[0].StorageKeys) != 1 || acl[0].StorageKeys[0] != slot {
		t.Fatalf("access list %+v, want the balanceOf slot %s of the token", acl, slot)
	}
	// gatewaySubnet touches the gateway, which is not a standard precompile.
	acl, _, err = c.ex.CreateAccessList(context.Background(), nil, execution.CallArgs{From: c.addrs[1], To: &addr, Data: mustPack(t, tok, "gatewaySubnet")})
	if err != nil || len(acl) != 1 || acl[0].Address != gateway.Address {
		t.Fatalf("access list %+v, %v, want the gateway", acl, err)
	}
}

func TestProof(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	addr := deployToken(t, c)
	// slot of balanceOf[addrs[0]]: keccak(pad(addr) . pad(0))
	slot := crypto.Keccak256Hash(common.LeftPadBytes(c.addrs[0].Bytes(), 32), common.LeftPadBytes(nil, 32))
	head := c.ex.Head()
	p, err := c.ex.Proof(head, addr, []common.Hash{slot, {0xff}})
	if err != nil {
		t.Fatal(err)
	}
	// The account proof verifies against the state root and decodes to the account.
	val := verify(t, head.StateRoot, crypto.Keccak256(addr.Bytes()), p.AccountProof)
	var acc gethtypes.StateAccount
	if err := rlp.DecodeBytes(val, &acc); err != nil {
		t.Fatal(err)
	}
	if acc.Root != p.StorageHash || common.BytesToHash(acc.CodeHash) != p.CodeHash || acc.Nonce != 1 || p.Nonce != 1 {
		t.Fatalf("account %+v vs proof %+v", acc, p)
	}
	want, _ := new(big.Int).SetString("1000000000000000000000000000", 10)
	if p.StorageProof[0].Value.Cmp(want) != 0 {
		t.Fatalf("slot value %s, want 1e27", p.StorageProof[0].Value)
	}
	sval := verify(t, p.StorageHash, crypto.Keccak256(slot.Bytes()), p.StorageProof[0].Proof)
	var stored []byte
	if err := rlp.DecodeBytes(sval, &stored); err != nil || new(big.Int).SetBytes(stored).Cmp(want) != 0 {
		t.Fatalf("proved slot %x", sval)
	}
	if p.StorageProof[1].Value.Sign() != 0 {
		t.Fatal("empty slot has a value")
	}
	// An account that does not exist has the empty hashes.
	p, err = c.ex.Proof(nil, common.Address{0x77}, nil)
	if err != nil || p.StorageHash != gethtypes.EmptyRootHash || p.CodeHash != gethtypes.EmptyCodeHash || len(p.AccountProof) == 0 {
		t.Fatalf("absent account proof %+v %v", p, err)
	}
}

func verify(t *testing.T, root common.Hash, key []byte, proof []string) []byte {
	t.Helper()
	db := memorydb.New()
	for _, n := range proof {
		b := hexutil.MustDecode(n)
		db.Put(crypto.Keccak256(b), b)
	}
	val, err := trie.VerifyProof(root, key, db)
	if err != nil || val == nil {
		t.Fatalf("proof does not verify: %v", err)
	}
	return val
}

// TestAccountsAtMatchesQueries: the shared account reader the mempool uses
// sees what the per-call queries see, at the head and at an older block,
// and can be read from several goroutines.
func TestAccountsAtMatchesQueries(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	old := c.ex.Head()
	c.block(c.transfer(0, c.addrs[1], 7))
	for _, h := range []*types.Header{old, c.ex.Head()} {
		a, err := c.ex.AccountsAt(h)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, addr := range append(c.addrs, common.Address{0xee}) {
			wg.Add(1)
			go func(addr common.Address) {
				defer wg.Done()
				n, _ := c.ex.Nonce(h, addr)
				b, _ := c.ex.Balance(h, addr)
				if a.Nonce(addr) != n || a.Balance(addr).Cmp(b) != 0 {
					t.Errorf("block %d, %s: reader says nonce %d balance %v, queries say %d %v", h.Height, addr, a.Nonce(addr), a.Balance(addr), n, b)
				}
			}(addr)
		}
		wg.Wait()
	}
	if a, _ := c.ex.AccountsAt(nil); a.Nonce(c.addrs[0]) != 1 {
		t.Fatalf("head reader: nonce %d after one transfer, want 1", a.Nonce(c.addrs[0]))
	}
}
