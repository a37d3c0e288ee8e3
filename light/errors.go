package light

import "errors"

// Errors a caller can test with errors.Is. Each says which check failed;
// the wrapped detail says what the server sent.
var (
	// ErrResponse: the server's answer is unusable (too large, too slow,
	// malformed, or an error), before any proof is looked at.
	ErrResponse = errors.New("light: bad answer from the server")
	// ErrForgedHeader: a header does not match its commit certificate, or
	// the certificate's signature does not hold.
	ErrForgedHeader = errors.New("light: header not certified")
	// ErrNotTrusted: a header is certified by a validator set that does
	// not hold enough of the stake the client trusts, and no chain of
	// set changes from the trusted set to it could be verified.
	ErrNotTrusted = errors.New("light: header not signed by enough trusted stake")
	// ErrCheckpoint: a checkpoint is not the one the parent committed.
	ErrCheckpoint = errors.New("light: checkpoint not committed by the parent")
	// ErrStateProof: an account or storage proof does not hold against the
	// verified state root.
	ErrStateProof = errors.New("light: invalid state proof")
	// ErrMessageProof: a cross-message proof does not hold.
	ErrMessageProof = errors.New("light: invalid message proof")
	// ErrGenesis: the trusted genesis is unusable or not the one expected.
	ErrGenesis = errors.New("light: bad genesis")
	// ErrStore: the client's saved state cannot be read or written.
	ErrStore = errors.New("light: saved state")
)
