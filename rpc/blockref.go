package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/types"
)

// Block tags, as the spec names them.
const (
	tagLatest    = "latest"
	tagPending   = "pending"
	tagSafe      = "safe"
	tagFinalized = "finalized"
	tagEarliest  = "earliest"
)

// BlockRef is a block parameter: a tag, a hex number, a block hash, or an
// EIP-1898 object {blockNumber | blockHash, requireCanonical}.
type BlockRef struct {
	Tag              string // one of the tags, or "" for a number or hash
	Number           uint64
	Hash             *common.Hash
	RequireCanonical bool
}

func latestRef() BlockRef { return BlockRef{Tag: tagLatest} }

func invalidBlockTag(raw string) error {
	return fmt.Errorf("invalid block tag %s: use latest, pending, safe, finalized, earliest, a hex number or a block hash", raw)
}

// UnmarshalJSON accepts every form of block parameter the spec allows.
func (r *BlockRef) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var obj struct {
			BlockNumber      *json.RawMessage `json:"blockNumber"`
			BlockHash        *common.Hash     `json:"blockHash"`
			RequireCanonical bool             `json:"requireCanonical"`
		}
		if err := json.Unmarshal(data, &obj); err != nil {
			return fmt.Errorf("invalid block object: %v", err)
		}
		switch {
		case obj.BlockNumber != nil && obj.BlockHash != nil:
			return errors.New("invalid block object: give blockNumber or blockHash, not both")
		case obj.BlockHash != nil:
			*r = BlockRef{Hash: obj.BlockHash, RequireCanonical: obj.RequireCanonical}
			return nil
		case obj.BlockNumber != nil:
			var inner BlockRef
			if err := inner.UnmarshalJSON(*obj.BlockNumber); err != nil {
				return err
			}
			if inner.Hash != nil {
				return invalidBlockTag(string(*obj.BlockNumber))
			}
			*r = inner
			return nil
		default:
			return errors.New("invalid block object: it needs blockNumber or blockHash")
		}
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return invalidBlockTag(string(data))
	}
	switch s {
	case tagLatest, tagPending, tagSafe, tagFinalized, tagEarliest:
		*r = BlockRef{Tag: s}
		return nil
	}
	if strings.HasPrefix(s, "0x") && len(s) == 66 {
		var h common.Hash
		if err := h.UnmarshalText([]byte(s)); err != nil {
			return invalidBlockTag(string(data))
		}
		*r = BlockRef{Hash: &h}
		return nil
	}
	n, err := hexutil.DecodeUint64(s)
	if err != nil {
		return invalidBlockTag(string(data))
	}
	*r = BlockRef{Number: n}
	return nil
}

// String renders the reference for error messages.
func (r BlockRef) String() string {
	switch {
	case r.Hash != nil:
		return r.Hash.Hex()
	case r.Tag != "":
		return r.Tag
	}
	return hexutil.EncodeUint64(r.Number)
}

// isNotFound reports a missing header or block. It takes the pointer type
// itself: a nil *Header passed as `any` is a non-nil interface, which once
// let eth_getBalance with an unknown blockHash and requireCanonical
// dereference nil (found by FuzzHandleRequest).
func isNotFound[T any](v *T, err error) bool {
	return errors.Is(err, ErrNotFound) || (err == nil && v == nil)
}

// header resolves ref to a committed header, or nil when there is none.
// "pending" resolves to the head: Aspen builds no speculative pending block.
func (s *subnetAPI) header(ref BlockRef) (*types.Header, error) {
	if ref.Hash != nil {
		h, err := s.b.HeaderByHash(*ref.Hash)
		if isNotFound(h, err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if ref.RequireCanonical {
			c, err := s.b.HeaderByNumber(h.Height)
			if err != nil || c == nil || c.Hash() != h.Hash() {
				return nil, fmt.Errorf("hash %s is not currently canonical", ref.Hash.Hex())
			}
		}
		return h, nil
	}
	switch ref.Tag {
	case tagLatest, tagPending:
		return s.b.Head(), nil
	case tagSafe:
		return s.b.Safe(), nil
	case tagFinalized:
		return s.b.Finalized(), nil
	case tagEarliest:
		return s.headerAt(0)
	}
	return s.headerAt(ref.Number)
}

func (s *subnetAPI) headerAt(n uint64) (*types.Header, error) {
	if head := s.b.Head(); head == nil || n > head.Height {
		return nil, nil
	}
	h, err := s.b.HeaderByNumber(n)
	if isNotFound(h, err) {
		return nil, nil
	}
	return h, err
}

// stateHeader resolves the block whose post-state a read or call sees. A nil
// ref means latest; pending gives (nil, nil), the backend's pending state.
// A block that does not exist is geth's "header not found".
func (s *subnetAPI) stateHeader(ref *BlockRef) (*types.Header, error) {
	r := latestRef()
	if ref != nil {
		r = *ref
	}
	if r.Tag == tagPending {
		return nil, nil
	}
	h, err := s.header(r)
	if err != nil {
		return nil, err
	}
	if h == nil {
		if r.Hash != nil {
			return nil, errors.New("header for hash not found")
		}
		return nil, errHeaderNotFound
	}
	return h, nil
}
