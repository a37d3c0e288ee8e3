package witness

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Version is the encoding version Encode writes and Decode accepts.
const Version = 1

var (
	// ErrMalformed wraps every reason Decode or Check refuses a witness.
	ErrMalformed = errors.New("witness: malformed")
	// ErrTooLarge wraps every limit a witness exceeds.
	ErrTooLarge = errors.New("witness: over a limit")
)

// Witness is the execution witness of one block.
type Witness struct {
	// Headers are the block's parent first, then its ancestors in order, as
	// far back as the block's BLOCKHASH reads reached. Each names the next
	// one by its ParentHash.
	Headers []*types.Header
	// TopDown is what the block's system work read of the parent chain; nil
	// if it read nothing.
	TopDown *TopDown
	// Codes is the contract code the block ran or read, sorted, no repeats.
	Codes [][]byte
	// Nodes are the trie nodes of the parent's state (account and storage
	// tries together) the block read or wrote through, sorted, no repeats.
	Nodes [][]byte
}

// TopDown is one read of the parent chain's top-down queue: the messages
// with nonces from From on, as of the parent block Ref, that the block
// applied. Each message is a gateway.TopDownMsg in RLP (the executor
// decodes them; this package does not know the gateway).
type TopDown struct {
	Ref  types.ParentRef
	From uint64
	Msgs []rlp.RawValue
}

// Parent is the header of the block the witness is for's parent.
func (w *Witness) Parent() *types.Header { return w.Headers[0] }

// Limits bound a witness from outside. The defaults fit any block of a
// 30M-gas chain that reads what its gas pays for in practice; a chain with
// larger blocks raises them.
type Limits struct {
	MaxBytes    int // the whole encoding
	MaxHeaders  int // BLOCKHASH reaches 256 blocks back
	MaxCodes    int
	MaxCodeSize int
	MaxNodes    int
	MaxNodeSize int // a trie node of a secure MPT is at most ~532 bytes
	MaxMsgs     int // top-down messages one block applies (evm: 256)
	MaxMsgSize  int
}

// DefaultLimits are the limits Decode uses for a zero Limits.
var DefaultLimits = Limits{
	MaxBytes:    64 << 20,
	MaxHeaders:  256,
	MaxCodes:    16_384,
	MaxCodeSize: 64 << 10,
	MaxNodes:    1 << 20,
	MaxNodeSize: 1 << 10,
	MaxMsgs:     256,
	MaxMsgSize:  256 << 10,
}

// wire is the encoding: [version, [header...], [topdown?], [code...], [node...]].
type wire struct {
	Version uint64
	Headers []*types.Header
	TopDown []*TopDown // zero or one
	Codes   [][]byte
	Nodes   [][]byte
}

// Encode is the canonical RLP encoding of w (codes and nodes sorted).
func (w *Witness) Encode() ([]byte, error) {
	out := wire{Version: Version, Headers: w.Headers, Codes: sorted(w.Codes), Nodes: sorted(w.Nodes)}
	if w.TopDown != nil {
		out.TopDown = []*TopDown{w.TopDown}
	}
	return rlp.EncodeToBytes(&out)
}

func sorted(blobs [][]byte) [][]byte {
	if slices.IsSortedFunc(blobs, bytes.Compare) {
		return blobs
	}
	s := slices.Clone(blobs)
	slices.SortFunc(s, bytes.Compare)
	return s
}

// Decode reads an encoded witness within lim (DefaultLimits if zero): the
// size first, then each list's count and each blob's size as it goes, so a
// hostile input costs no more than its length; then Check.
func Decode(b []byte, lim Limits) (*Witness, error) {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	if len(b) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), lim.MaxBytes)
	}
	if _, rest, err := rlp.SplitList(b); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%w: not one RLP list (%v, %d trailing bytes)", ErrMalformed, err, len(rest))
	}
	s := rlp.NewStream(bytes.NewReader(b), uint64(len(b)))
	w, err := decode(s, lim)
	if err != nil {
		return nil, err
	}
	if err := w.Check(lim); err != nil {
		return nil, err
	}
	return w, nil
}

func decode(s *rlp.Stream, lim Limits) (*Witness, error) {
	bad := func(what string, err error) error { return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err) }
	if _, err := s.List(); err != nil {
		return nil, bad("witness", err)
	}
	v, err := s.Uint64()
	if err != nil {
		return nil, bad("version", err)
	}
	if v != Version {
		return nil, fmt.Errorf("%w: version %d, this node reads %d", ErrMalformed, v, Version)
	}
	w := &Witness{}
	if err := eachItem(s, "headers", lim.MaxHeaders, func() error {
		var h types.Header
		if err := s.Decode(&h); err != nil {
			return bad(fmt.Sprintf("header %d", len(w.Headers)), err)
		}
		w.Headers = append(w.Headers, &h)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachItem(s, "top-down reads", 1, func() error {
		td, err := decodeTopDown(s, lim)
		w.TopDown = td
		return err
	}); err != nil {
		return nil, err
	}
	if w.Codes, err = blobs(s, "codes", lim.MaxCodes, lim.MaxCodeSize); err != nil {
		return nil, err
	}
	if w.Nodes, err = blobs(s, "trie nodes", lim.MaxNodes, lim.MaxNodeSize); err != nil {
		return nil, err
	}
	if err := s.ListEnd(); err != nil {
		return nil, bad("witness has more than five fields", err)
	}
	return w, nil
}

func decodeTopDown(s *rlp.Stream, lim Limits) (*TopDown, error) {
	bad := func(what string, err error) error { return fmt.Errorf("%w: top-down %s: %w", ErrMalformed, what, err) }
	td := &TopDown{}
	if _, err := s.List(); err != nil {
		return nil, bad("read", err)
	}
	if err := s.Decode(&td.Ref); err != nil {
		return nil, bad("parent reference", err)
	}
	var err error
	if td.From, err = s.Uint64(); err != nil {
		return nil, bad("first nonce", err)
	}
	if err := eachItem(s, "top-down messages", lim.MaxMsgs, func() error {
		_, size, err := s.Kind()
		if err != nil {
			return bad("message", err)
		}
		if size > uint64(lim.MaxMsgSize) {
			return fmt.Errorf("%w: top-down message %d is %d bytes, limit %d", ErrTooLarge, len(td.Msgs), size, lim.MaxMsgSize)
		}
		raw, err := s.Raw()
		if err != nil {
			return bad("message", err)
		}
		td.Msgs = append(td.Msgs, raw)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.ListEnd(); err != nil {
		return nil, bad("read has more than three fields", err)
	}
	return td, nil
}

// eachItem calls item for every element of the next list, at most max of them.
func eachItem(s *rlp.Stream, what string, max int, item func() error) error {
	if _, err := s.List(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	for n := 0; ; n++ {
		if _, _, err := s.Kind(); errors.Is(err, rlp.EOL) {
			break
		} else if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
		}
		if n == max {
			return fmt.Errorf("%w: more than %d %s", ErrTooLarge, max, what)
		}
		if err := item(); err != nil {
			return err
		}
	}
	return s.ListEnd()
}

// blobs reads a list of byte strings, strictly ascending.
func blobs(s *rlp.Stream, what string, max, maxSize int) ([][]byte, error) {
	var out [][]byte
	err := eachItem(s, what, max, func() error {
		kind, size, _ := s.Kind()
		if kind == rlp.List {
			return fmt.Errorf("%w: %s %d is a list, not bytes", ErrMalformed, what, len(out))
		}
		if size > uint64(maxSize) {
			return fmt.Errorf("%w: %s %d is %d bytes, limit %d", ErrTooLarge, what, len(out), size, maxSize)
		}
		b, err := s.Bytes()
		if err != nil {
			return fmt.Errorf("%w: %s %d: %w", ErrMalformed, what, len(out), err)
		}
		if len(b) == 0 {
			return fmt.Errorf("%w: %s %d is empty", ErrMalformed, what, len(out))
		}
		if n := len(out); n > 0 && bytes.Compare(out[n-1], b) >= 0 {
			return fmt.Errorf("%w: %s are not sorted or repeat one (at %d)", ErrMalformed, what, n)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// Check verifies what a witness can say of itself: a parent header, within
// the header limit, and every header the parent of the one before it.
func (w *Witness) Check(lim Limits) error {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	switch {
	case len(w.Headers) == 0:
		return fmt.Errorf("%w: no parent header", ErrMalformed)
	case len(w.Headers) > lim.MaxHeaders:
		return fmt.Errorf("%w: %d headers, limit %d", ErrTooLarge, len(w.Headers), lim.MaxHeaders)
	case w.TopDown != nil && len(w.TopDown.Msgs) > lim.MaxMsgs:
		return fmt.Errorf("%w: %d top-down messages, limit %d", ErrTooLarge, len(w.TopDown.Msgs), lim.MaxMsgs)
	}
	for i := 1; i < len(w.Headers); i++ {
		child, h := w.Headers[i-1], w.Headers[i]
		if child.Height == 0 || h.Height != child.Height-1 || h.Hash() != child.ParentHash {
			return fmt.Errorf("%w: header %d (height %d) is not the parent of header %d (height %d, parent %s)",
				ErrMalformed, i, h.Height, i-1, child.Height, child.ParentHash)
		}
	}
	return nil
}
