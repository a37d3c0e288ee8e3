// Package periodcheck judges one committed checkpoint of a child subnet the
// way a juror does: it fetches every block of the checkpoint's period with
// its execution witness (witnesssync), linked by hash to the checkpoint's
// BlockHash, re-executes each statelessly with the parent's FraudVerifier
// (execution/evm's FraudChecker, injected), reading the child's top-down
// messages from the parent's own gateway queue and never from the witness,
// and returns a Verdict: valid, or invalid with the first bad block, why,
// and what proveFraud needs to prove it.
//
// It runs no loop and holds no state: the node's juror loop calls Verify.
package periodcheck
