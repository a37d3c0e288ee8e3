package rpc

import (
	"context"
	"encoding/json"
	"hash/crc32"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// PeerCounter is implemented by a Backend that knows its subnet's peers;
// net_peerCount reports 0 for one that does not.
type PeerCounter interface {
	PeerCount() int
}

// Syncing is eth_syncing. Aspen nodes serve only blocks they have executed,
// so they report not syncing.
func (e *ethAPI) Syncing() bool { return false }

// Coinbase is eth_coinbase: the account configured for this node.
func (e *ethAPI) Coinbase() common.Address { return e.cfg.Coinbase }

// Accounts is eth_accounts: Aspen nodes hold no accounts.
func (e *ethAPI) Accounts() []common.Address { return []common.Address{} }

// Sign is eth_sign, which Aspen does not offer.
func (e *ethAPI) Sign(_, _ *json.RawMessage) (hexutil.Bytes, error) {
	return nil, notSupported("eth_sign is not supported: Aspen nodes hold no unlocked accounts; sign locally")
}

// SignTransaction is eth_signTransaction, which Aspen does not offer.
func (e *ethAPI) SignTransaction(_ *json.RawMessage) (any, error) {
	return nil, notSupported("eth_signTransaction is not supported: Aspen nodes hold no unlocked accounts; sign locally and use eth_sendRawTransaction")
}

// SendTransaction is eth_sendTransaction, which Aspen does not offer.
func (e *ethAPI) SendTransaction(_ *json.RawMessage) (common.Hash, error) {
	return common.Hash{}, notSupported("eth_sendTransaction is not supported: Aspen nodes hold no unlocked accounts; sign locally and use eth_sendRawTransaction")
}

// SimulateV1 is eth_simulateV1, which Aspen does not offer yet.
func (e *ethAPI) SimulateV1(_, _ *json.RawMessage) (any, error) {
	return nil, notSupported("eth_simulateV1 is not supported by Aspen nodes; use eth_call with state overrides")
}

type blobSchedule struct {
	BaseFeeUpdateFraction uint64 `json:"baseFeeUpdateFraction"`
	Max                   int    `json:"max"`
	Target                int    `json:"target"`
}

type forkConfig struct {
	ActivationTime  uint64                    `json:"activationTime"`
	BlobSchedule    blobSchedule              `json:"blobSchedule"`
	ChainID         *hexutil.Big              `json:"chainId"`
	ForkID          hexutil.Bytes             `json:"forkId"`
	Precompiles     map[string]common.Address `json:"precompiles"`
	SystemContracts map[string]common.Address `json:"systemContracts"`
}

type configResponse struct {
	Current *forkConfig `json:"current"`
	Next    *forkConfig `json:"next"`
	Last    *forkConfig `json:"last"`
}

// praguePrecompiles are the precompiles of Prague, every Aspen subnet's fork.
var praguePrecompiles = map[string]byte{
	"ECREC": 0x01, "SHA256": 0x02, "RIPEMD160": 0x03, "ID": 0x04, "MODEXP": 0x05,
	"BN254_ADD": 0x06, "BN254_MUL": 0x07, "BN254_PAIRING": 0x08, "BLAKE2F": 0x09,
	"KZG_POINT_EVALUATION": 0x0a, "BLS12_G1ADD": 0x0b, "BLS12_G1MSM": 0x0c,
	"BLS12_G2ADD": 0x0d, "BLS12_G2MSM": 0x0e, "BLS12_PAIRING_CHECK": 0x0f,
	"BLS12_MAP_FP_TO_G1": 0x10, "BLS12_MAP_FP2_TO_G2": 0x11,
}

// Config is eth_config (EIP-7910). Every fork through Prague is active from
// genesis and none is scheduled, so current is Prague at time 0 and next and
// last are null. The fork ID is the CRC32 of the genesis hash, as EIP-2124
// gives for a chain with no forks after genesis.
func (e *ethAPI) Config() (*configResponse, error) {
	genesis, err := e.headerAt(0)
	if err != nil {
		return nil, err
	}
	if genesis == nil {
		return nil, errHeaderNotFound
	}
	gh := genesis.Hash()
	id := crc32.ChecksumIEEE(gh[:])
	cur := &forkConfig{
		BlobSchedule: blobSchedule{
			BaseFeeUpdateFraction: params.DefaultPragueBlobConfig.UpdateFraction,
			Max:                   params.DefaultPragueBlobConfig.Max,
			Target:                params.DefaultPragueBlobConfig.Target,
		},
		ChainID:         (*hexutil.Big)(e.b.ChainID()),
		ForkID:          []byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)},
		Precompiles:     make(map[string]common.Address, len(praguePrecompiles)),
		SystemContracts: map[string]common.Address{},
	}
	for name, a := range praguePrecompiles {
		cur.Precompiles[name] = common.BytesToAddress([]byte{a})
	}
	return &configResponse{Current: cur}, nil
}

type capabilityHead struct {
	Number hexutil.Uint64 `json:"number"`
	Hash   common.Hash    `json:"hash"`
}

type capabilityResource struct {
	Disabled    bool           `json:"disabled"`
	OldestBlock hexutil.Uint64 `json:"oldestBlock"`
}

type capabilities struct {
	Head        capabilityHead     `json:"head"`
	State       capabilityResource `json:"state"`
	Tx          capabilityResource `json:"tx"`
	Logs        capabilityResource `json:"logs"`
	Receipts    capabilityResource `json:"receipts"`
	Blocks      capabilityResource `json:"blocks"`
	StateProofs capabilityResource `json:"stateproofs"`
}

// Capabilities is eth_capabilities. Aspen nodes keep every block, receipt
// and historical state of the subnets they run.
func (e *ethAPI) Capabilities() capabilities {
	head := e.b.Head()
	all := capabilityResource{}
	return capabilities{
		Head:  capabilityHead{Number: hexutil.Uint64(head.Height), Hash: head.Hash()},
		State: all, Tx: all, Logs: all, Receipts: all, Blocks: all, StateProofs: all,
	}
}

type fillResult struct {
	Raw hexutil.Bytes  `json:"raw"`
	Tx  map[string]any `json:"tx"`
}

// FillTransaction is eth_fillTransaction: it completes nonce, fees, gas and
// chain ID and returns the unsigned transaction, ready to sign locally.
func (e *ethAPI) FillTransaction(ctx context.Context, args txArgs) (*fillResult, error) {
	ca, err := e.callArgs(args)
	if err != nil {
		return nil, err
	}
	if args.Nonce == nil {
		n, err := e.b.PoolNonce(ca.From)
		if err != nil {
			return nil, err
		}
		ca.Nonce = &n
	}
	gas := uint64(0)
	if args.Gas != nil {
		gas = uint64(*args.Gas)
	} else {
		g, err := e.EstimateGas(ctx, args, nil, nil)
		if err != nil {
			return nil, err
		}
		gas = uint64(g)
	}
	chainID := e.b.ChainID()
	value := bigOrZero(ca.Value)
	var inner gethtypes.TxData
	switch {
	case ca.GasPrice != nil && ca.AccessList == nil:
		inner = &gethtypes.LegacyTx{Nonce: *ca.Nonce, GasPrice: ca.GasPrice, Gas: gas, To: ca.To, Value: value, Data: ca.Data}
	case ca.GasPrice != nil:
		inner = &gethtypes.AccessListTx{ChainID: chainID, Nonce: *ca.Nonce, GasPrice: ca.GasPrice, Gas: gas, To: ca.To, Value: value, Data: ca.Data, AccessList: ca.AccessList}
	default:
		tip := ca.MaxPriorityFeePerGas
		if tip == nil {
			tip = bigOrZero(e.b.SuggestTip())
		}
		feeCap := ca.MaxFeePerGas
		if feeCap == nil {
			feeCap = new(big.Int).Add(tip, new(big.Int).Mul(bigOrZero(e.b.NextBaseFee()), big.NewInt(2)))
		}
		if len(ca.AuthorizationList) > 0 {
			if ca.To == nil {
				return nil, invalidParams("a transaction with an authorizationList needs a 'to' address")
			}
			inner = &gethtypes.SetCodeTx{
				ChainID: uint256From(chainID), Nonce: *ca.Nonce, GasTipCap: uint256From(tip), GasFeeCap: uint256From(feeCap),
				Gas: gas, To: *ca.To, Value: uint256From(value), Data: ca.Data, AccessList: ca.AccessList, AuthList: ca.AuthorizationList,
			}
		} else {
			inner = &gethtypes.DynamicFeeTx{ChainID: chainID, Nonce: *ca.Nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: ca.To, Value: value, Data: ca.Data, AccessList: ca.AccessList}
		}
	}
	tx := gethtypes.NewTx(inner)
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &fillResult{Raw: raw, Tx: unsignedTxJSON(tx)}, nil
}

// unsignedTxJSON renders a transaction to sign in the spec's unsigned shape.
func unsignedTxJSON(tx *gethtypes.Transaction) map[string]any {
	m := map[string]any{
		"type":     hexutil.Uint64(tx.Type()),
		"nonce":    hexutil.Uint64(tx.Nonce()),
		"to":       tx.To(),
		"gas":      hexutil.Uint64(tx.Gas()),
		"value":    (*hexutil.Big)(tx.Value()),
		"input":    hexutil.Bytes(tx.Data()),
		"gasPrice": (*hexutil.Big)(tx.GasPrice()),
	}
	if tx.Type() == gethtypes.LegacyTxType {
		if id := tx.ChainId(); id.Sign() != 0 {
			m["chainId"] = (*hexutil.Big)(id)
		}
		return m
	}
	al := tx.AccessList()
	if al == nil {
		al = gethtypes.AccessList{}
	}
	m["chainId"] = (*hexutil.Big)(tx.ChainId())
	m["accessList"] = al
	if tx.Type() != gethtypes.AccessListTxType {
		m["maxFeePerGas"] = (*hexutil.Big)(tx.GasFeeCap())
		m["maxPriorityFeePerGas"] = (*hexutil.Big)(tx.GasTipCap())
	}
	if tx.Type() == gethtypes.SetCodeTxType {
		m["authorizationList"] = tx.SetCodeAuthorizations()
	}
	return m
}

// netAPI is the net_ namespace.
type netAPI struct{ *subnetAPI }

// Version is net_version: the chain ID in decimal.
func (n *netAPI) Version() string { return n.b.ChainID().String() }

// Listening is net_listening.
func (n *netAPI) Listening() bool { return true }

// PeerCount is net_peerCount.
func (n *netAPI) PeerCount() hexutil.Uint {
	if pc, ok := n.b.(PeerCounter); ok {
		return hexutil.Uint(pc.PeerCount())
	}
	return 0
}

// web3API is the web3_ namespace.
type web3API struct{ *subnetAPI }

// ClientVersion is web3_clientVersion.
func (w *web3API) ClientVersion() string { return w.cfg.clientVersion() }

// Sha3 is web3_sha3: keccak256 of the input.
func (w *web3API) Sha3(input hexutil.Bytes) hexutil.Bytes { return crypto.Keccak256(input) }
