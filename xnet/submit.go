package xnet

import (
	"github.com/aspen-chain/aspen/crypto"
)

// Submission policy (CROSSNET.md, "Bottom-up"). Only the next checkpoint
// (the parent's last + one period) is ever submitted, so checkpoints reach
// the parent in order. The signer at index (Height/Period) mod n of the
// checkpoint's config is chosen to submit as soon as it holds a quorum; the
// signer at distance d after it (cyclically) waits d*SubmitDelay ticks from
// the moment it holds a quorum for the next checkpoint, and a node that is no
// signer waits n*SubmitDelay. Whoever the parent does not answer with a
// commit within CommitTimeout ticks submits again, and a failed send is
// retried after SubmitDelay. When the chosen submitter is up, the others see
// the commit before their delay runs out and never submit; when it is down,
// the next one takes over after one delay.

// distance is this node's place in the submission order for rd: 0 for the
// chosen submitter, n for a node that does not sign rd's config.
func (r *Relayer) distance(rd *round) uint64 {
	n := uint64(len(rd.set.keys))
	if rd.set.self < 0 {
		return n
	}
	chosen := rd.built.Link.Height / r.cfg.Params.Period % n
	return (uint64(rd.set.self) + n - chosen) % n
}

// submitIfDue emits a Submission of the next checkpoint when this node holds
// a quorum for it and its turn has come.
func (r *Relayer) submitIfDue() {
	if !r.parentKnown {
		return
	}
	next := r.parent.Height + r.cfg.Params.Period
	rd := r.rounds[next]
	if rd == nil || !rd.quorum {
		return
	}
	s := &r.sub
	if s.height != next {
		*s = submitState{height: next, due: r.now + r.distance(rd)*r.cfg.SubmitDelay}
	}
	switch {
	case s.inFlight && r.now < s.sentAt+r.cfg.CommitTimeout:
		return // wait for the parent
	case !s.inFlight && r.now < s.due:
		return // not our turn yet
	}
	agg, bitmap, err := crypto.AggregateWithBitmap(len(rd.set.keys), rd.sigs)
	if err != nil {
		// Every signature was verified and every index checked on arrival.
		panic("xnet: aggregating verified checkpoint signatures: " + err.Error())
	}
	r.ready.Submit = append(r.ready.Submit, Submission{
		Height:     next,
		Hash:       rd.built.Link.Hash,
		Checkpoint: rd.built.Encoded,
		Aggregate:  agg,
		Bitmap:     bitmap,
	})
	s.inFlight, s.sentAt = true, r.now
}

// onResult takes note of a submission's fate: a failed send is retried
// after SubmitDelay; a sent one waits for the parent up to CommitTimeout.
func (r *Relayer) onResult(m SubmitResult) {
	s := &r.sub
	if m.Height != s.height || !s.inFlight || m.Err == nil {
		return
	}
	s.inFlight, s.due = false, r.now+r.cfg.SubmitDelay
}
