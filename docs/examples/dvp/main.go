package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

//go:embed AtomicDvP.json
var compiled []byte

// contract is one entry of AtomicDvP.json.
type contract struct {
	ABI      abi.ABI
	Bytecode []byte
}

func load(name string) (contract, error) {
	var f struct {
		Contracts map[string]struct {
			ABI      json.RawMessage `json:"abi"`
			Bytecode string          `json:"bytecode"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(compiled, &f); err != nil {
		return contract{}, fmt.Errorf("AtomicDvP.json: %w", err)
	}
	c, ok := f.Contracts[name]
	if !ok {
		return contract{}, fmt.Errorf("AtomicDvP.json has no contract %s (run docs/examples/compile.mjs)", name)
	}
	a, err := abi.JSON(strings.NewReader(string(c.ABI)))
	if err != nil {
		return contract{}, fmt.Errorf("AtomicDvP.json: %s: %w", name, err)
	}
	return contract{ABI: a, Bytecode: common.FromHex(c.Bytecode)}, nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dvp setup|balance [flags] (-h for the flags)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(os.Args[2:])
	case "balance":
		err = balance(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want setup or balance", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dvp:", err)
		os.Exit(1)
	}
}

// plan is the atomic plan file (aspen atomic submit PLAN.json).
type plan struct {
	Deadline uint64    `json:"deadline"`
	Legs     []planLeg `json:"legs"`
}

type planLeg struct {
	Subnet string `json:"subnet"`
	To     string `json:"to"`
	Value  string `json:"value"`
	Data   string `json:"data,omitempty"`
}

// setupResult is what setup prints: the contracts, the offer and the plan.
type setupResult struct {
	Token       common.Address `json:"token"`
	Participant common.Address `json:"participant"`
	Seller      common.Address `json:"seller"`
	OfferID     uint64         `json:"offerId"`
	Plan        string         `json:"plan"`
}

func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	rpc := fs.String("rpc", "http://127.0.0.1:8546", "a node's RPC URL; chains are at URL/SUBNET")
	tokenNet := fs.String("token-subnet", "/devnet/alpha/one", "the subnet of the token and its participant")
	sellerKey := fs.String("seller-key", "", "the seller's private key (hex), funded on --token-subnet")
	buyerHex := fs.String("buyer", "", "the buyer: the account that submits the plan on --mediator")
	amount := fs.Int64("amount", 100, "tokens the seller offers")
	mint := fs.Int64("mint", -1, "tokens minted to the seller (default: --amount; less makes prepare vote no)")
	mediator := fs.String("mediator", "/devnet", "the plan's mediator: the lowest common ancestor of both legs")
	payNet := fs.String("pay-subnet", "/devnet/beta", "the subnet where the seller is paid in native coin")
	price := fs.String("price", "3", "coins the seller gets on --pay-subnet")
	deadline := fs.Uint64("deadline", 300, "the plan's deadline in blocks of --mediator")
	out := fs.String("out", "dvp-plan.json", "where to write the plan")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !common.IsHexAddress(*buyerHex) || *sellerKey == "" || *amount <= 0 {
		return errors.New("give --seller-key, --buyer (an address) and a positive --amount")
	}
	if *mint < 0 {
		*mint = *amount
	}
	key, err := crypto.HexToECDSA(strings.TrimPrefix(*sellerKey, "0x"))
	if err != nil {
		return fmt.Errorf("--seller-key: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := ethclient.DialContext(ctx, strings.TrimSuffix(*rpc, "/")+*tokenNet)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &sender{c: c, key: key}
	tok, err := load("DemoToken")
	if err != nil {
		return err
	}
	dvp, err := load("AtomicDvP")
	if err != nil {
		return err
	}
	res := setupResult{Seller: crypto.PubkeyToAddress(key.PublicKey), Plan: *out}
	if res.Token, err = s.deploy(ctx, tok, big.NewInt(*mint)); err != nil {
		return fmt.Errorf("deploy DemoToken: %w", err)
	}
	if res.Participant, err = s.deploy(ctx, dvp, res.Token); err != nil {
		return fmt.Errorf("deploy AtomicDvP: %w", err)
	}
	if _, err := s.call(ctx, res.Token, tok.ABI, "approve", res.Participant, big.NewInt(*amount)); err != nil {
		return err
	}
	rec, err := s.call(ctx, res.Participant, dvp.ABI, "makeOffer", common.HexToAddress(*buyerHex), big.NewInt(*amount), *mediator)
	if err != nil {
		return err
	}
	offered := dvp.ABI.Events["Offered"].ID
	for _, l := range rec.Logs {
		if len(l.Topics) > 1 && l.Topics[0] == offered {
			res.OfferID = new(big.Int).SetBytes(l.Topics[1].Bytes()).Uint64()
		}
	}
	if res.OfferID == 0 {
		return fmt.Errorf("makeOffer (tx %s) emitted no Offered event", rec.TxHash)
	}
	p := plan{Deadline: *deadline, Legs: []planLeg{
		{Subnet: *tokenNet, To: res.Participant.Hex(), Value: "0", Data: common.BigToHash(new(big.Int).SetUint64(res.OfferID)).Hex()},
		{Subnet: *payNet, To: res.Seller.Hex(), Value: *price},
	}}
	raw, _ := json.MarshalIndent(p, "", "  ")
	if err := os.WriteFile(*out, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func balance(args []string) error {
	fs := flag.NewFlagSet("balance", flag.ContinueOnError)
	rpc := fs.String("rpc", "http://127.0.0.1:8546", "a node's RPC URL; chains are at URL/SUBNET")
	tokenNet := fs.String("token-subnet", "/devnet/alpha/one", "the token's subnet")
	token := fs.String("token", "", "the DemoToken address setup printed")
	of := fs.String("of", "", "the account")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !common.IsHexAddress(*token) || !common.IsHexAddress(*of) {
		return errors.New("give --token and --of as addresses")
	}
	tok, err := load("DemoToken")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ethclient.DialContext(ctx, strings.TrimSuffix(*rpc, "/")+*tokenNet)
	if err != nil {
		return err
	}
	defer c.Close()
	in, _ := tok.ABI.Pack("balanceOf", common.HexToAddress(*of))
	to := common.HexToAddress(*token)
	out, err := c.CallContract(ctx, ethereumCall(to, in), nil)
	if err != nil {
		return err
	}
	fmt.Println(new(big.Int).SetBytes(out))
	return nil
}
