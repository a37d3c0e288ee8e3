// Package optimistic is the pure core of optimistic cross-subnet moves
// (docs/CROSSNET.md, "Optimistic moves"): a store of state objects — native
// value notes, ERC-20 notes and generic objects — each carrying a canonical
// dependency list of claims about other chains' blocks.
//
// Store is a deterministic state machine over an injected key-value State
// (the storage of a future system contract; layout in schema.go). Every
// operation returns the events the contract will emit. Owners transfer,
// split and merge notes; a merge of inputs with different dependencies
// yields an output carrying their union and freezes each input whose list is
// smaller until the extra claims resolve. Move destroys an unconditional
// object on its source and returns a Receipt; Receive on the destination
// creates it at once with the source's (subnet, height, hash) as one more
// dependency, once per receipt. Learn, Resolve and claim deadlines decide
// claims; Process applies the verdicts to objects from a work queue kept in
// State, a bounded number of steps per block.
//
// Nothing here checks headers, finality or Merkle proofs: the caller that
// submits a receipt does (see the doc). This package knows no EVM, no
// network and no clock; heights are passed in.
package optimistic
