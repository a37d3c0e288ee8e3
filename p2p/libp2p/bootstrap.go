package libp2p

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// backoff is the delay between failed dials of one bootstrap peer: it
// doubles from min to max, and each delay is jittered to between half and
// all of the current step so that peers restarted together do not redial in
// lockstep.
type backoff struct {
	min, max time.Duration
	step     time.Duration
	jitter   func(n int64) int64 // uniform in [0, n); rand.Int64N outside tests
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, step: min, jitter: rand.Int64N}
}

// next returns the delay before the next attempt and grows the step.
func (b *backoff) next() time.Duration {
	half := b.step / 2
	d := half + time.Duration(b.jitter(int64(b.step-half)+1))
	b.step = min(2*b.step, b.max)
	return d
}

// reset starts the schedule over after a success.
func (b *backoff) reset() { b.step = b.min }

// keepConnected dials a bootstrap peer, and redials it with backoff
// whenever its last connection drops, until the host closes.
func (h *Host) keepConnected(ai peer.AddrInfo) {
	defer h.wg.Done()
	wake := make(chan struct{}, 1)
	notifee := &network.NotifyBundle{DisconnectedF: func(_ network.Network, c network.Conn) {
		if c.RemotePeer() == ai.ID {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}}
	h.host.Network().Notify(notifee)
	defer h.host.Network().StopNotify(notifee)

	b := newBackoff(h.cfg.ReconnectMin, h.cfg.ReconnectMax)
	log := h.log.With("bootstrap", ai.ID.String())
	for {
		if !h.connected(ai.ID) {
			if err := h.dialBootstrap(ai); err != nil {
				if h.ctx.Err() != nil {
					return
				}
				d := b.next()
				log.Debug("bootstrap peer unreachable", "retry_in", d, "err", err)
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-h.ctx.Done():
					t.Stop()
					return
				}
				continue
			}
			log.Info("connected to bootstrap peer")
		}
		b.reset()
		select {
		case <-wake:
		case <-h.ctx.Done():
			return
		}
	}
}

// dialBootstrap dials once. Our own backoff paces the attempts, so the
// swarm's per-address dial backoff (which would refuse a redial for seconds
// after a peer restarts) is cleared first.
func (h *Host) dialBootstrap(ai peer.AddrInfo) error {
	if sw, ok := h.host.Network().(*swarm.Swarm); ok {
		sw.Backoff().Clear(ai.ID)
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RequestTimeout)
	defer cancel()
	return h.host.Connect(ctx, ai)
}
