package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// compiled is a contract of an example's compiled JSON (docs/examples/compile.mjs).
type compiled struct {
	ABI      abi.ABI
	Bytecode []byte
}

// loadContracts reads the contracts of an example's compiled JSON file.
func loadContracts(t *testing.T, path string) map[string]compiled {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Contracts map[string]struct {
			ABI      json.RawMessage `json:"abi"`
			Bytecode hexutil.Bytes   `json:"bytecode"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]compiled{}
	for name, c := range f.Contracts {
		a, err := abi.JSON(strings.NewReader(string(c.ABI)))
		if err != nil {
			t.Fatalf("%s: ABI of %s: %v", path, name, err)
		}
		out[name] = compiled{a, c.Bytecode}
	}
	return out
}

// sendTx signs data to to (nil: a contract creation) with keyHex on c,
// waits for its receipt and fails the test if it reverted.
func sendTx(t *testing.T, c *ethclient.Client, keyHex string, to *common.Address, data []byte) *gethtypes.Receipt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key, err := crypto.HexToECDSA(strings.TrimPrefix(keyHex, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	gas, err := c.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Data: data})
	if err != nil {
		t.Fatalf("estimating gas: %v", err)
	}
	tx, err := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: gas * 5 / 4, To: to, Data: data,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var rec *gethtypes.Receipt
	waitFor(t, "the receipt of "+tx.Hash().Hex(), time.Minute, func() bool {
		rec, err = c.TransactionReceipt(ctx, tx.Hash())
		return err == nil && rec != nil
	})
	if rec.Status != gethtypes.ReceiptStatusSuccessful {
		t.Fatalf("transaction %s reverted: %+v", tx.Hash(), rec)
	}
	return rec
}

// deployContract creates k with constructor args on c and returns its address.
func deployContract(t *testing.T, c *ethclient.Client, keyHex string, k compiled, args ...any) common.Address {
	t.Helper()
	in, err := k.ABI.Pack("", args...)
	if err != nil {
		t.Fatal(err)
	}
	return sendTx(t, c, keyHex, nil, append(append([]byte{}, k.Bytecode...), in...)).ContractAddress
}

// callContract sends a transaction calling method of k at to.
func callContract(t *testing.T, c *ethclient.Client, keyHex string, k compiled, to common.Address, method string, args ...any) *gethtypes.Receipt {
	t.Helper()
	in, err := k.ABI.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	return sendTx(t, c, keyHex, &to, in)
}

// viewUint reads a uint256 view method of k at to.
func viewUint(t *testing.T, c *ethclient.Client, k compiled, to common.Address, method string, args ...any) *big.Int {
	t.Helper()
	in, err := k.ABI.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CallContract(context.Background(), ethereum.CallMsg{To: &to, Data: in}, nil)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return new(big.Int).SetBytes(out)
}
