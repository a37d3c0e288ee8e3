package evm

import (
	"context"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// A contract reading another contract's storage: the call needs both, and
// gives the wrong answer until both (and the slot) are supplied.
func TestProvenCallReportsWhatItNeeds(t *testing.T) {
	reader := common.HexToAddress("0x00000000000000000000000000000000000a0001")
	store := common.HexToAddress("0x00000000000000000000000000000000000b0002")
	// store: return sload(0)
	storeCode := common.FromHex("0x60005460005260206000f3")
	// reader: staticcall(gas, store, 0, 0, 0, 32); return mem[0:32]
	readerCode := append(append(common.FromHex("0x602060006000600073"), store.Bytes()...), common.FromHex("0x5afa5060206000f3")...)
	slot := common.Hash{}
	want := common.BigToHash(big.NewInt(42))

	cfg := CallConfig{Subnet: "/devnet/alpha", ChainID: big.NewInt(int64(gateway.ChainIDFor("/devnet/alpha")))}
	header := &types.Header{SubnetID: "/devnet/alpha", Height: 11, ParentHash: common.HexToHash("0x11"), TimeMs: 1_000_000, GasLimit: 30_000_000}
	args := execution.CallArgs{From: common.HexToAddress("0xf0"), To: &reader}
	acct := func(code []byte, storage map[common.Hash]common.Hash) ProvenAccount {
		root := gethtypes.EmptyRootHash
		if len(storage) > 0 {
			root = common.HexToHash("0x5707")
		}
		return ProvenAccount{Balance: new(big.Int), StorageRoot: root, CodeHash: crypto.Keccak256Hash(code), Code: code, Storage: storage}
	}
	run := func(accounts map[common.Address]ProvenAccount) ([]byte, Touched) {
		t.Helper()
		res, touched, err := ProvenCall(context.Background(), cfg, header, accounts, args)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil {
			t.Fatalf("call failed: %v", res.Err)
		}
		return res.ReturnData, touched
	}

	// Round 1: only the called contract. The store is touched, not supplied: a wrong answer.
	accounts := map[common.Address]ProvenAccount{reader: acct(readerCode, nil)}
	ret, touched := run(accounts)
	if common.BytesToHash(ret) == want {
		t.Fatal("the call got the stored value without the store's account")
	}
	if !slices.Contains(touched.Accounts, store) || !slices.Contains(touched.Accounts, reader) {
		t.Fatalf("touched %v, want the reader %s and the store %s", touched.Accounts, reader, store)
	}
	// Round 2: the store's account but not its slot: the slot is touched, the answer still wrong.
	accounts[store] = acct(storeCode, map[common.Hash]common.Hash{common.HexToHash("0x99"): want})
	ret, touched = run(accounts)
	if common.BytesToHash(ret) == want {
		t.Fatal("the call got the stored value without its slot")
	}
	if got := touched.Slots[store]; !slices.Equal(got, []common.Hash{slot}) {
		t.Fatalf("touched slots of the store %v, want [%s]", got, slot)
	}
	// Round 3: everything: the right value, and nothing new touched.
	accounts[store] = acct(storeCode, map[common.Hash]common.Hash{slot: want})
	ret, touched2 := run(accounts)
	if common.BytesToHash(ret) != want {
		t.Fatalf("returned %x, want %s", ret, want)
	}
	// The sender, the two contracts and the proposer (paid the fee): nothing else.
	if want := []common.Address{{}, args.From, reader, store}; !slices.Equal(touched2.Accounts, want) {
		t.Fatalf("touched %v, want %v", touched2.Accounts, want)
	}
	if !slices.Equal(touched2.Accounts, touched.Accounts) || !slices.Equal(touched2.Slots[store], touched.Slots[store]) {
		t.Fatalf("touched %v after all was supplied, %v before", touched2, touched)
	}

	// Supplied code that does not match its hash is refused.
	bad := acct(storeCode, nil)
	bad.Code = readerCode
	if _, _, err := ProvenCall(context.Background(), cfg, header, map[common.Address]ProvenAccount{store: bad}, args); err == nil {
		t.Fatal("code not matching its hash was accepted")
	}
}

// The gateway precompile answers as in the executor, bound to the subnet named.
func TestProvenCallGatewaySubnetID(t *testing.T) {
	for _, subnet := range []types.SubnetID{"/devnet", "/devnet/alpha/one"} {
		cfg := CallConfig{Subnet: subnet, ChainID: big.NewInt(int64(gateway.ChainIDFor(subnet)))}
		header := &types.Header{SubnetID: subnet, Height: 5, GasLimit: 30_000_000}
		abi, err := gateway.ParseABI()
		if err != nil {
			t.Fatal(err)
		}
		data, err := abi.Pack("subnetId")
		if err != nil {
			t.Fatal(err)
		}
		to := gateway.Address
		res, touched, err := ProvenCall(context.Background(), cfg, header, nil, execution.CallArgs{To: &to, Data: data})
		if err != nil || res.Err != nil {
			t.Fatalf("%s: %v %v", subnet, err, res.Err)
		}
		out, err := abi.Unpack("subnetId", res.ReturnData)
		if err != nil {
			t.Fatal(err)
		}
		if got := out[0].(string); got != string(subnet) {
			t.Fatalf("subnetId() = %q, want %q", got, subnet)
		}
		if !slices.Contains(touched.Accounts, gateway.Address) {
			t.Fatalf("%s: the gateway is not among the touched %v", subnet, touched.Accounts)
		}
	}
}
