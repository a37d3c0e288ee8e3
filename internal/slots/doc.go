// Package slots lays records out in EVM storage, the way Aspen's system
// contracts (the gateway, the optimistic object store) keep their state in
// their account's storage: a record's slot is keccak256 of a tag and its
// key parts, its fields follow at slot+1, slot+2…, and byte strings
// (blobs) are a length word followed by 32-byte words. Every node must
// derive the same slots, so these functions are part of the consensus
// rules: changing one changes every system contract's state layout.
package slots
