// Package xnet is the child side of Aspen's bottom-up cross-subnet protocol
// (docs/CROSSNET.md, "Bottom-up" and "Proofs"): it assembles a child
// subnet's checkpoints, gathers its validators' BLS signatures of them,
// submits certificates to the parent, and proves messages against them.
//
// # Assembly
//
// Every Period blocks the child has a checkpoint. Build makes the one at
// height H from the child's final block at H and its gateway state after it
// (a ChildView, which the node implements over its store) and from the
// previous checkpoint's Link. Prev is the previous checkpoint's Hash (zero
// for the first). Messages are the up-queue entries with nonces after the
// previous checkpoint's last (Link.UpNonce) up to the newest at H, cut at
// MaxMessagesPerCheckpoint and at types.MaxCheckpointSize; what is cut
// waits for the next checkpoint, which starts where this one ended. The
// parent keeps the same counter (upApplied), so nonces continue without gap
// or overlap. Chain memoizes the sequence from a base Link: the start, or
// the parent's last committed checkpoint, from which a restarted node
// recomputes the same bytes.
//
// # Relaying
//
// Relayer is a deterministic state machine in the style of the consensus
// engines (ARCHITECTURE §4): Step(Final | PeerSignature | ParentCommitted |
// SubmitResult) and Tick() in; Ready() out (own signatures to persist, then
// gossip, then submissions), acknowledged with Advance(). The flow:
//
//  1. ParentCommitted tells it the parent's last checkpoint; it builds and
//     signs nothing before. It keeps a window of checkpoints above it.
//  2. Final moves the child's final height; each final checkpoint height in
//     the window is built once, and signed once if this node's BLS key is in
//     the signer set of the checkpoint's config (SignerView). The signature
//     goes to Ready.Persist (keep it; pass it back in Config.Signed after a
//     restart, so the key never signs a different checkpoint at that height)
//     and to Ready.Gossip for the subnet's checkpoint topic.
//  3. PeerSignature counts a peer's signature after checking its subnet,
//     height, checkpoint hash, signer index, novelty and BLS signature;
//     signatures of checkpoints not built yet are held until they are.
//  4. When signers holding more than two thirds of the config's power have
//     signed the next checkpoint, the submitter chosen by height sends the
//     certificate (Ready.Submit) at once and the others after a delay that
//     grows with their distance from it (see submit.go). A submission not
//     committed in time is sent again. Checkpoints go strictly in order.
//  5. ParentCommitted with the new checkpoint moves the window on. A relayer
//     restarted from nothing, or a subnet back after hours, resumes from the
//     parent's last checkpoint and catches up period by period by itself.
//
// # Proofs
//
// ProveMessage and VerifyMessageProof prove a message's inclusion in a
// checkpoint's MessagesRoot (see proof.go for the rest of the path to the
// root chain).
package xnet
