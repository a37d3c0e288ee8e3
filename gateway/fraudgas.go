package gateway

import (
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Prices of proveFraud beyond what gas.go's schedule names.
const (
	// gasFraudWitnessByte: a witness byte is decoded, hashed (its trie
	// node or code) and put in the memory database the replay reads.
	gasFraudWitnessByte = 4
	// gasEcrecover: each transaction's sender is recovered (ECRECOVER's price).
	gasEcrecover = 3000
)

// fraudGas prices proveFraud(id, ref, headers, block, witness), decision by
// decision as proveFraud takes them.
func fraudGas(st StateReader, self types.SubnetID, id string, ref, headers, block, witness []byte) uint64 {
	words := func(b []byte) uint64 { return uint64(len(b)+31) / 32 }
	// Every header and the block are hashed; the checkpoints twice.
	gas := gasHash*3 + gasHashWord*(2*words(ref)+words(headers)+words(block)) + gasRead*8
	name, err := childName(self, types.SubnetID(id))
	if err != nil || !exists(st, name) || statusOf(st, name) != StatusActive {
		return gas
	}
	c, err := parseFraud(st, name, string(self.Child(name)), ref, headers, block, witness)
	if err != nil {
		return gas
	}
	if !c.proven {
		gas += proofGas(st, name, c, witness) + gasWrite*8 + 2*gasEvent + gasLogByte*maxReasonBytes
	} else if c.cursor >= len(configRecords(st, name, c.cp.Config)) {
		return gas
	}
	// The slashing of the next batch of signers.
	stakes, _, _, slots, _ := fraudSlashes(st, name, c)
	gas += gasRead*(slots+1) + gasWrite*2 + gasPayout*2 // and the unslashed count
	for _, s := range stakes {
		gas += gasEvent + gasLogByte*maxReasonBytes
		if s.seat {
			// removeValidator (7 slots) and the total collateral.
			gas += gasSeatKeys + gasWrite*8
		} else {
			gas += gasWrite * releaseSlots
		}
	}
	return gas
}

// proofGas prices the re-execution of c's block.
func proofGas(st StateReader, name string, c *fraudClaim, witness []byte) uint64 {
	gas := gasHash*MaxFraudHeaders + genesisHashGas(st, name) + gasFraudWitnessByte*uint64(len(witness))
	// The block's transactions cannot run more than their gas limits, nor
	// more than the child's block gas limit; top-down work at most half that.
	var txGas uint64
	for _, tx := range c.block.Txs {
		txGas += tx.Gas()
	}
	limit := getU64(st, name, fGasLimit)
	gas += min(txGas, limit) + gasEcrecover*uint64(len(c.block.Txs))
	// The block reads the queue from after the previous checkpoint's
	// DownApplied (fraudQueue refuses less), and one message past what it takes.
	applied, down := c.applied(st, name), getU64(st, name, fDownNonce)
	pending := min(down-min(applied, down), maxFraudTopDown)
	gas += (pending + 1) * gasRead * messageSlots
	return gas + topDownWork(st, name, applied+1, pending, limit)
}

// topDownWork bounds what applying n messages of the child name's queue
// from nonce from costs a re-execution, in gas, at most the top-down budget
// of a child block (half its gas limit): a config change rewrites the
// child's set, a transfer or call mints and routes (a call runs with
// CrossMsgCallGas).
func topDownWork(st StateReader, name string, from, n, limit uint64) uint64 {
	var gas uint64
	for k := from; k < from+n; k++ {
		var r topDownRLP
		if err := rlp.DecodeBytes(readBlob(st, downSlot(name, k)), &r); err != nil {
			return limit / 2
		}
		if r.Kind == KindConfig {
			gas += gasWrite * 10
			continue
		}
		gas += gasWrite*(3+messageSlots) + gasPayout
		if r.Msg.Kind == KindCall {
			gas += CrossMsgCallGas
		}
	}
	return min(gas, limit/2)
}
