package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// sender signs and sends one account's transactions and waits for them.
type sender struct {
	c   *ethclient.Client
	key *ecdsa.PrivateKey
}

func ethereumCall(to common.Address, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{To: &to, Data: data}
}

// deploy creates c with constructor arguments args and returns its address.
func (s *sender) deploy(ctx context.Context, c contract, args ...any) (common.Address, error) {
	in, err := c.ABI.Pack("", args...)
	if err != nil {
		return common.Address{}, err
	}
	rec, err := s.send(ctx, nil, append(append([]byte{}, c.Bytecode...), in...))
	if err != nil {
		return common.Address{}, err
	}
	return rec.ContractAddress, nil
}

// call sends a transaction calling method of the contract at to.
func (s *sender) call(ctx context.Context, to common.Address, a abi.ABI, method string, args ...any) (*gethtypes.Receipt, error) {
	in, err := a.Pack(method, args...)
	if err != nil {
		return nil, err
	}
	rec, err := s.send(ctx, &to, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return rec, nil
}

func (s *sender) send(ctx context.Context, to *common.Address, data []byte) (*gethtypes.Receipt, error) {
	from := crypto.PubkeyToAddress(s.key.PublicKey)
	chainID, err := s.c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := s.c.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, err
	}
	gas, err := s.c.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Data: data})
	if err != nil {
		return nil, fmt.Errorf("estimate gas: %w", err)
	}
	tx, err := gethtypes.SignNewTx(s.key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: gas * 5 / 4, To: to, Data: data,
	})
	if err != nil {
		return nil, err
	}
	if err := s.c.SendTransaction(ctx, tx); err != nil {
		return nil, err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		rec, err := s.c.TransactionReceipt(ctx, tx.Hash())
		if err == nil {
			if rec.Status != gethtypes.ReceiptStatusSuccessful {
				return nil, fmt.Errorf("transaction %s reverted", tx.Hash())
			}
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no receipt for %s: %w", tx.Hash(), ctx.Err())
		case <-tick.C:
		}
	}
}
