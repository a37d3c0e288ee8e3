package rpctest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validBlock is a spec-shaped block (from the spec's own example, with the
// fields a Prague block has).
const validBlock = `{"number":"0x68b3","hash":"0xd5f1812548be429cbdc6376b29611fc49e06f1359758c4ceaaa3b393e2239f9c",
"mixHash":"0x24900fb3da77674a861c428429dce0762707ecb6052325bbd9b3c64e74b5af9d",
"parentHash":"0x1f68ac259155e2f38211ddad0f0a15394d55417b185a93923e2abe71bb7a4d6d","nonce":"0x378da40ff335b070",
"sha3Uncles":"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
"logsBloom":"0x` + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" + `",
"transactionsRoot":"0x4d0c8e91e16bdff538c03211c5c73632ed054d00a7e210c0eb25146c20048126",
"stateRoot":"0x91309efa7e42c1f137f31fe9edbe88ae087e6620d0d59031324da3e2f4f93233",
"receiptsRoot":"0x68461ab700003503a305083630a8fb8d14927238f0bc8b6b3d246c0c64f21f4a",
"miner":"0xb42b6c4a95406c78ff892d270ad20b22642e102d","difficulty":"0x0","extraData":"0x","size":"0x334",
"gasLimit":"0x47e7c4","gasUsed":"0x37993","timestamp":"0x5835c54d","uncles":[],
"transactions":["0xa0807e117a8dd124ab949f460f08c36c72b710188f01609595223b325e58e0fc"],"baseFeePerGas":"0x7"}`

func loadSpec(t *testing.T) *Spec {
	t.Helper()
	spec, err := LoadSpec(SpecDir())
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestSpecCoversEveryMethod(t *testing.T) {
	spec := loadSpec(t)
	methods := strings.Join(spec.Methods(), " ")
	for _, m := range []string{"eth_getBlockByNumber", "eth_call", "eth_getLogs", "eth_feeHistory", "net_version", "eth_config"} {
		if !strings.Contains(methods, m) {
			t.Errorf("spec lacks %s: %s", m, methods)
		}
	}
	if n := len(spec.Methods()); n < 45 {
		t.Errorf("spec has %d methods, want the 45+ of execution-apis", n)
	}
}

// TestValidateCanFail feeds wrong results and expects each to be rejected,
// so that a passing conformance run means something.
func TestValidateCanFail(t *testing.T) {
	spec := loadSpec(t)
	if err := spec.Validate("eth_getBlockByNumber", json.RawMessage(validBlock)); err != nil {
		t.Fatalf("the spec's own block must validate: %v", err)
	}
	var block map[string]any
	if err := json.Unmarshal([]byte(validBlock), &block); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(map[string]any)) json.RawMessage {
		c := map[string]any{}
		for k, v := range block {
			c[k] = v
		}
		f(c)
		b, _ := json.Marshal(c)
		return b
	}
	for _, tc := range []struct {
		name   string
		method string
		result json.RawMessage
	}{
		{"block missing hash", "eth_getBlockByNumber", mutate(func(m map[string]any) { delete(m, "hash") })},
		{"block number not hex", "eth_getBlockByNumber", mutate(func(m map[string]any) { m["number"] = 26803 })},
		{"block number leading zero", "eth_getBlockByNumber", mutate(func(m map[string]any) { m["number"] = "0x068b3" })},
		{"block nonce too short", "eth_getBlockByNumber", mutate(func(m map[string]any) { m["nonce"] = "0x0" })},
		{"uppercase hash", "eth_getBlockByHash", mutate(func(m map[string]any) { m["hash"] = strings.ToUpper(m["hash"].(string)) })},
		{"chain id decimal", "eth_chainId", json.RawMessage(`"1"`)},
		{"net_version hex", "net_version", json.RawMessage(`"0x1"`)},
		{"receipt without from", "eth_getTransactionReceipt", json.RawMessage(`{"blockHash":"0xd5f1812548be429cbdc6376b29611fc49e06f1359758c4ceaaa3b393e2239f9c","blockNumber":"0x1","cumulativeGasUsed":"0x1","gasUsed":"0x1","logs":[],"logsBloom":"0x00","transactionHash":"0xd5f1812548be429cbdc6376b29611fc49e06f1359758c4ceaaa3b393e2239f9c","transactionIndex":"0x0","effectiveGasPrice":"0x1"}`)},
		{"log with unknown field", "eth_getLogs", json.RawMessage(`[{"transactionHash":"0xd5f1812548be429cbdc6376b29611fc49e06f1359758c4ceaaa3b393e2239f9c","extra":1}]`)},
	} {
		if err := spec.Validate(tc.method, tc.result); err == nil {
			t.Errorf("%s: %s accepted a wrong result", tc.name, tc.method)
		}
	}
	if err := spec.Validate("eth_noSuchMethod", json.RawMessage(`1`)); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("unknown method: got %v, want ErrUnknownMethod", err)
	}
}
