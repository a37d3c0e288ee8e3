package main

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// juryMarker is written once `aspen devnet --jury` bonded the nodes: a
// resumed devnet records its jury in devnet.json with or without the flag.
const juryMarker = "jury-bonded"

// devnetJuryBond is each node's bond, in coins: the least a juror brings.
const devnetJuryBond = 1

// juryMarked reports whether the devnet under home bonded its jury.
func juryMarked(home string) bool {
	_, err := os.Stat(filepath.Join(home, juryMarker))
	return err == nil
}

// devnetJury bonds every node's account as a juror on the root with its
// validator BLS key (all at once, as a user would with `aspen jury join`),
// skipping the accounts already in the pool, unless bond is false; it
// returns devnet.json's record of the pool's nodes.
func devnetJury(ctx context.Context, out io.Writer, homes []*config.Node, root types.SubnetID, home string, bond bool) (*client.DevnetJury, error) {
	g, err := treeClient(ctx, homes[0], root)
	if err != nil {
		return nil, err
	}
	pool, err := g.Jurors(ctx)
	g.Close()
	if err != nil {
		return nil, fmt.Errorf("read the jury pool of %s: %w", root, err)
	}
	inPool := map[common.Address]bool{}
	for _, j := range pool {
		inPool[j.Account] = true
	}
	rec := &client.DevnetJury{Chain: string(root), Bond: fmt.Sprint(devnetJuryBond), Jurors: []common.Address{}}
	type joining struct {
		g    *client.Gateway
		p    *client.PendingTx
		name string
	}
	var js []joining
	defer func() {
		for _, j := range js {
			j.g.Close()
		}
	}()
	for _, cfg := range homes {
		k, err := loadKeys(cfg)
		if err != nil {
			return nil, err
		}
		if inPool[k.Account] || !bond {
			if inPool[k.Account] {
				rec.Jurors = append(rec.Jurors, k.Account)
			}
			continue
		}
		if len(js) == 0 {
			fmt.Fprintf(out, "bonding every node as a juror on %s (%d coin each)…\n", root, devnetJuryBond)
		}
		g, err := treeClient(ctx, cfg, root)
		if err != nil {
			return nil, err
		}
		bls, err := crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator))
		if err != nil {
			g.Close()
			return nil, err
		}
		p, err := g.Send(ctx, "joinJury", new(big.Int).Mul(big.NewInt(devnetJuryBond), weiPerCoin), bls.PublicKey().Bytes(), bls.ProofOfPossession())
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("%s joins the jury of %s: %w", cfg.Name, root, err)
		}
		js = append(js, joining{g, p, cfg.Name})
		rec.Jurors = append(rec.Jurors, k.Account)
	}
	for _, j := range js {
		if _, err := j.g.Confirm(ctx, j.p); err != nil {
			return nil, fmt.Errorf("%s joins the jury of %s: %w", j.name, root, err)
		}
	}
	if bond {
		if err := os.WriteFile(filepath.Join(home, juryMarker), []byte(root+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	return rec, nil
}
