// Package pow is the proof-of-work engine: any node may make a block, by
// finding a nonce that gives it enough work, and the chain with the most
// cumulative work wins. Finality is probabilistic: a block is final once
// Confirmations blocks are built on it (safe at half that depth), and the
// best chain above the final block may switch branch, which the engine
// reports as a head move with a rewind.
//
// The engine is pure like every engine here: it keeps a bounded tree of the
// blocks above its final block, chooses the best tip, asks the driver to
// build and seal when it mines, and speaks a small wire protocol (announce,
// get-blocks, blocks) through Ready.Send. The nonce search itself runs in
// the Miner (miner.go), the package's only goroutines, which the driver
// owns as its consensus.Sealer.
//
// Work lives in the header: Difficulty is part of the block hash, the nonce
// is Header.Seal (8 bytes, big-endian), which the hash leaves out, so sealing
// does not change a block's hash. A block has enough work when
// keccak256(hash || seal), read as a 256-bit number, is at most
// 2^256/Difficulty (Target); difficulty 1 accepts every nonce, which tests
// and the simulator use. Difficulty retargets from the parent alone
// (NextDifficulty), so a header chain is checked with its headers alone
// (CheckHeader).
package pow
