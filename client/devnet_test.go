package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// TestReadDevnet reads a manifest as `aspen devnet` writes it, from the
// file or from the home that holds it.
func TestReadDevnet(t *testing.T) {
	home := t.TempDir()
	manifest := `{"network":"/devnet","gateway":"0xa5e0000000000000000000000000000000000001",
	  "accounts":[{"address":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","privateKey":"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"}],
	  "nodes":[{"name":"node0","rpc":"http://127.0.0.1:8545","peerId":"12D3","restart":["aspen","node"],"validatorOf":["/devnet"]}],
	  "subnets":[{"id":"/devnet","engine":"solo","chainId":31337,"rpc":["http://127.0.0.1:8545/devnet"]},
	             {"id":"/devnet/alpha","engine":"bft","chainId":7,"rpc":["http://127.0.0.1:8545/devnet/alpha"]}],
	  "jury":{"chain":"/devnet","bond":"1","jurors":["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"]}}`
	if err := os.WriteFile(filepath.Join(home, DevnetFile), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{home, filepath.Join(home, DevnetFile)} {
		d, err := ReadDevnet(path)
		if err != nil {
			t.Fatal(err)
		}
		if d.Network != "/devnet" || len(d.Accounts) != 1 || d.Accounts[0].PrivateKey[:6] != "0xac09" ||
			len(d.Nodes) != 1 || d.Nodes[0].PeerID != "12D3" || len(d.Nodes[0].Restart) != 2 || d.Nodes[0].ValidatorOf[0] != "/devnet" {
			t.Fatalf("ReadDevnet(%s) = %+v", path, d)
		}
		if d.Jury == nil || d.Jury.Chain != "/devnet" || d.Jury.Bond != "1" || len(d.Jury.Jurors) != 1 || d.Jury.Jurors[0] != d.Accounts[0].Address {
			t.Fatalf("jury = %+v", d.Jury)
		}
		if k, err := d.Accounts[0].Key(); err != nil || gethcrypto.PubkeyToAddress(k.PublicKey) != d.Accounts[0].Address {
			t.Fatalf("account 0's key: %v", err)
		}
		s, err := d.Subnet("/devnet/alpha")
		if err != nil || s.ChainID != 7 || s.Engine != "bft" || s.RPC[0] != "http://127.0.0.1:8545/devnet/alpha" {
			t.Fatalf("Subnet(/devnet/alpha) = %+v, %v", s, err)
		}
		if _, err := d.Subnet("/devnet/nope"); !errors.Is(err, ErrNoSubnet) {
			t.Fatalf("Subnet(/devnet/nope): %v, want ErrNoSubnet", err)
		}
	}
	if _, err := ReadDevnet(t.TempDir()); err == nil {
		t.Fatal("ReadDevnet of a home without devnet.json succeeded")
	}
}
