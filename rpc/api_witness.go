package rpc

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// WitnessBackend serves execution witnesses. A Backend that implements it
// gets aspen_getWitness on its subnet's path.
type WitnessBackend interface {
	// Witness is the encoded execution witness (package execution/witness)
	// of the committed block hash. It re-executes the block; it fails if
	// the node no longer has the state the block ran on.
	Witness(hash common.Hash) ([]byte, error)
}

// Witness is aspen_getWitness's answer.
type Witness struct {
	Number  hexutil.Uint64 `json:"number"`
	Hash    common.Hash    `json:"hash"`
	Size    hexutil.Uint64 `json:"size"`    // bytes of Witness
	Witness hexutil.Bytes  `json:"witness"` // RLP, execution/witness.Decode reads it
}

// witnessAPI is the aspen_ methods of one subnet's path (the node's own
// aspen_ methods, the same on every path, are Config.Aspen).
type witnessAPI struct {
	*subnetAPI
	wb WitnessBackend
}

// GetWitness is aspen_getWitness: the execution witness of a block, with
// which a stateless executor re-executes it; null for an unknown block.
func (a *witnessAPI) GetWitness(ref BlockRef) (*Witness, error) {
	h, err := a.header(ref)
	if err != nil || h == nil {
		return nil, err
	}
	enc, err := a.wb.Witness(h.Hash())
	if err != nil {
		return nil, &apiError{codeResourceMissing, "witness of block " + hexutil.EncodeUint64(h.Height) + ": " + err.Error()}
	}
	return &Witness{Number: hexutil.Uint64(h.Height), Hash: h.Hash(), Size: hexutil.Uint64(len(enc)), Witness: enc}, nil
}
