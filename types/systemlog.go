package types

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// SystemTxHash is the transactionHash of a block's system logs: the logs of
// work that belongs to no transaction, such as CrossMsgApplied for the
// top-down messages a child applies before its transactions. It is not the
// hash of any transaction (eth_getTransactionByHash answers null for it), the
// same convention Polygon's bor uses for its state-sync logs:
// keccak256("aspen/system-logs" ‖ block hash).
func SystemTxHash(blockHash common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/system-logs"), blockHash[:])
}
