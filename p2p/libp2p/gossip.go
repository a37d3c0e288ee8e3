package libp2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aspen-chain/aspen/p2p"
)

var (
	// ErrTooLarge reports a message or frame over p2p.MaxMessageSize.
	ErrTooLarge = errors.New("libp2p: message larger than p2p.MaxMessageSize")
	// ErrJoined reports a second Join of a topic the host already joined.
	ErrJoined = errors.New("libp2p: topic already joined")
)

const (
	// maxGossipRPC is the gossip wire limit: a full-size message plus room
	// for its envelope (topic, sequence number, key and signature), so that a
	// message of exactly p2p.MaxMessageSize bytes still travels.
	maxGossipRPC = p2p.MaxMessageSize + 16<<10
	// maxTopicsPerPeer caps the subscriptions a peer may announce to us.
	maxTopicsPerPeer = 1024
	// subBuffer is how many delivered messages wait for Next before
	// gossipsub starts dropping them for this slow reader.
	subBuffer = 256
)

// Score thresholds. One message our validator rejects costs invalidWeight, n
// cost n² × invalidWeight, so a peer with no positive score stops receiving
// our gossip after 2 rejected messages and is graylisted (everything it sends
// is dropped unread) after 3; good behaviour (capped at topicScoreCap) buys
// at most one more.
//
// The count lives in the application-specific score, not in gossipsub's own
// invalid-delivery counter (P4): gossipsub also counts there every message
// that claims to come from us, and after a restart honest peers forward our
// own pre-restart messages for a few heartbeats. Counting those graylisted
// every peer of a restarted node, which then never rejoined consensus.
const (
	invalidWeight     = -20
	gossipThreshold   = -40
	publishThreshold  = -80
	graylistThreshold = -160
	topicScoreCap     = 40
)

// topicPrefix is what every Aspen topic starts with (p2p.ConsensusTopic etc.);
// subscriptions to anything else are refused so a peer cannot make us track
// arbitrary topics.
var topicPrefix = regexp.MustCompile(`^/aspen/`)

const (
	outboundQueue = 4096 // messages waiting to be written to one peer
	validateQueue = 4096 // messages waiting for a validator
)

func (h *Host) newPubSub(ctx context.Context) (*pubsub.PubSub, error) {
	ps, err := pubsub.NewGossipSub(ctx, h.host,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		// Our own messages go to every subscribed peer at once (not only
		// our mesh, which is empty until the first heartbeat after a join):
		// votes and proposals are latency-critical.
		pubsub.WithFloodPublish(true),
		// gossipsub's default per-peer outbound queue (32) overflows under a
		// burst of transactions and silently drops what follows, votes
		// included; consensus then waits for a timeout to re-send. A deep
		// queue absorbs bursts; the resource manager still bounds memory.
		pubsub.WithPeerOutboundQueueSize(outboundQueue),
		pubsub.WithValidateQueueSize(validateQueue),
		pubsub.WithMaxMessageSize(h.cfg.maxGossipSize),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithSubscriptionFilter(pubsub.WrapLimitSubscriptionFilter(
			pubsub.NewRegexpSubscriptionFilter(topicPrefix), maxTopicsPerPeer)),
		pubsub.WithPeerScore(peerScoreParams(h.appScore), &pubsub.PeerScoreThresholds{
			GossipThreshold:             gossipThreshold,
			PublishThreshold:            publishThreshold,
			GraylistThreshold:           graylistThreshold,
			AcceptPXThreshold:           100, // we do not do peer exchange
			OpportunisticGraftThreshold: 5,
		}),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(h.inspectScores), h.cfg.scoreInspectPeriod),
		pubsub.WithLogger(h.log.With("component", "gossipsub")),
	)
	if err != nil {
		return nil, fmt.Errorf("libp2p: start gossipsub: %w", err)
	}
	return ps, nil
}

// messageID names a message by its topic, its signed origin and the origin's
// sequence number: relays of one publication are one message, but a node that
// publishes the same bytes again gets them delivered again. Content-based IDs
// would swallow a validator's re-broadcast of the vote a restarted peer
// missed (for as long as the seen-cache remembers it), stalling consensus.
// Copies of one payload republished by someone else are caught after
// validation instead, by the repeat cache (repeat.go), for a short window.
func messageID(m *pb.Message) string {
	d := sha256.New()
	d.Write([]byte(m.GetTopic()))
	d.Write([]byte{0})
	d.Write(m.GetFrom())
	d.Write([]byte{0})
	d.Write(m.GetSeqno())
	return string(d.Sum(nil))
}

func peerScoreParams(app func(peer.ID) float64) *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		Topics:            map[string]*pubsub.TopicScoreParams{},
		TopicScoreCap:     topicScoreCap,
		AppSpecificScore:  app,
		AppSpecificWeight: 1,
		// Many peers behind one IP are suspect, but loopback is exempt
		// (gossipsub ignores it) so local devnets are not penalised.
		IPColocationFactorWeight:    -5,
		IPColocationFactorThreshold: 10,
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               pubsub.DefaultDecayInterval,
		DecayToZero:                 pubsub.DefaultDecayToZero,
		// A peer that reconnects keeps its penalties for an hour.
		RetainScore: time.Hour,
	}
}

// topicScoreParams rewards time in the mesh and first deliveries a little and
// punishes invalid messages hard. Mesh-delivery deficits are not scored: a
// subnet's consensus topic can be quiet for long stretches.
func topicScoreParams() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight:                  1,
		TimeInMeshWeight:             0.01,
		TimeInMeshQuantum:            time.Second,
		TimeInMeshCap:                300,
		FirstMessageDeliveriesWeight: 0.5,
		FirstMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(10 * time.Minute),
		FirstMessageDeliveriesCap:    40,
		// 0: see the score thresholds; our validator's rejections are
		// counted in the application-specific score instead.
		InvalidMessageDeliveriesWeight: 0,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
	}
}

func (h *Host) inspectScores(scores map[peer.ID]float64) {
	penalised := 0
	for _, s := range scores {
		if s < 0 {
			penalised++
		}
	}
	h.metrics.setPenalised(penalised)
	h.mu.Lock()
	h.mu.scores = scores
	h.mu.Unlock()
}

// topic is one joined gossip topic. A pump goroutine moves messages from the
// gossipsub subscription to out, dropping our own, so Close can wait for it
// before leaving the topic.
type topic struct {
	h     *Host
	name  string
	t     *pubsub.Topic
	sub   *pubsub.Subscription
	out   chan p2p.Message
	done  chan struct{} // closed by Close
	pumpd chan struct{} // closed when the pump exits
	once  sync.Once
	err   error
}

var _ p2p.Topic = (*topic)(nil)

// Join subscribes to topic; v judges every message from other peers before it
// is delivered or forwarded. A topic can be joined once per host.
func (h *Host) Join(name string, v p2p.Validator) (p2p.Topic, error) {
	if v == nil {
		return nil, fmt.Errorf("libp2p: join %s: nil validator", name)
	}
	// Reserve the name, then talk to gossipsub without holding the lock.
	h.mu.Lock()
	if h.mu.closed {
		h.mu.Unlock()
		return nil, p2p.ErrClosed
	}
	if _, ok := h.mu.topics[name]; ok {
		h.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrJoined, name)
	}
	h.mu.topics[name] = nil
	h.mu.Unlock()
	t, err := h.join(name, v)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		delete(h.mu.topics, name)
		return nil, err
	}
	h.mu.topics[name] = t
	go t.pump()
	return t, nil
}

func (h *Host) join(name string, v p2p.Validator) (*topic, error) {
	if err := h.ps.RegisterTopicValidator(name, h.validator(name, v)); err != nil {
		return nil, fmt.Errorf("libp2p: join %s: validator: %w", name, err)
	}
	pt, err := h.ps.Join(name)
	if err != nil {
		h.ps.UnregisterTopicValidator(name)
		return nil, fmt.Errorf("libp2p: join %s: %w", name, err)
	}
	fail := func(err error) (*topic, error) {
		pt.Close()
		h.ps.UnregisterTopicValidator(name)
		return nil, fmt.Errorf("libp2p: join %s: %w", name, err)
	}
	if err := pt.SetScoreParams(topicScoreParams()); err != nil {
		return fail(err)
	}
	sub, err := pt.Subscribe(pubsub.WithBufferSize(subBuffer))
	if err != nil {
		return fail(err)
	}
	return &topic{
		h: h, name: name, t: pt, sub: sub,
		out: make(chan p2p.Message), done: make(chan struct{}), pumpd: make(chan struct{}),
	}, nil
}

// validator adapts a p2p.Validator. Our own messages skip it: we only publish
// what we produced.
func (h *Host) validator(name string, v p2p.Validator) pubsub.ValidatorEx {
	self := h.host.ID()
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if from == self {
			return pubsub.ValidationAccept
		}
		data := m.GetData()
		h.metrics.received(name, len(data))
		verdict := p2p.Reject
		if len(data) <= p2p.MaxMessageSize {
			verdict = h.judge(ctx, name, m.GetFrom().String(), data, v)
		}
		h.metrics.judged(name, verdict)
		if verdict == p2p.Reject {
			h.penalise(from)
		}
		switch verdict {
		case p2p.Accept:
			return pubsub.ValidationAccept
		case p2p.Ignore:
			return pubsub.ValidationIgnore
		default:
			return pubsub.ValidationReject
		}
	}
}

// judge runs v on a payload the repeat cache does not already judge.
func (h *Host) judge(ctx context.Context, name, origin string, data []byte, v p2p.Validator) p2p.Verdict {
	k := repeatKey(name, data)
	switch ignore, reject := h.repeats.lookup(k); {
	case reject:
		return p2p.Reject
	case ignore:
		return p2p.Ignore
	}
	verdict := v(ctx, origin, data)
	if verdict != p2p.Ignore {
		h.repeats.record(k, verdict == p2p.Reject)
	}
	return verdict
}

func (t *topic) pump() {
	defer close(t.pumpd)
	self := t.h.host.ID()
	for {
		m, err := t.sub.Next(t.h.ctx)
		if err != nil {
			return // cancelled subscription or closed host
		}
		if m.GetFrom() == self || m.ReceivedFrom == self {
			continue
		}
		select {
		case t.out <- p2p.Message{From: m.GetFrom().String(), Data: m.GetData()}:
		case <-t.done:
			return
		}
	}
}

// Publish signs data and sends it to the topic's peers.
func (t *topic) Publish(ctx context.Context, data []byte) error {
	if len(data) > p2p.MaxMessageSize {
		return fmt.Errorf("%w: publish %d bytes on %s", ErrTooLarge, len(data), t.name)
	}
	select {
	case <-t.done:
		return p2p.ErrClosed
	default:
	}
	if err := t.t.Publish(ctx, data); err != nil {
		return fmt.Errorf("libp2p: publish on %s: %w", t.name, err)
	}
	t.h.metrics.sent(t.name, len(data))
	return nil
}

// Next returns the next accepted message from another peer.
func (t *topic) Next(ctx context.Context) (p2p.Message, error) {
	select {
	case m := <-t.out:
		return m, nil
	case <-t.done:
		return p2p.Message{}, p2p.ErrClosed
	case <-t.pumpd:
		return p2p.Message{}, p2p.ErrClosed
	case <-ctx.Done():
		return p2p.Message{}, ctx.Err()
	}
}

// Close leaves the topic; Next and Publish then return p2p.ErrClosed.
func (t *topic) Close() error {
	t.once.Do(func() {
		close(t.done)
		t.sub.Cancel()
		<-t.pumpd
		var errs []error
		if err := t.t.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := t.h.ps.UnregisterTopicValidator(t.name); err != nil {
			errs = append(errs, err)
		}
		t.h.mu.Lock()
		delete(t.h.mu.topics, t.name)
		t.h.mu.Unlock()
		if err := errors.Join(errs...); err != nil {
			t.err = fmt.Errorf("libp2p: leave %s: %w", t.name, err)
		}
	})
	return t.err
}

// rejectHalfLife is how fast a peer's count of rejected messages fades.
const rejectHalfLife = 10 * time.Minute

type rejectRecord struct {
	count float64
	at    time.Time
}

// penalise counts one message our validator rejected against the peer that
// sent it to us.
func (h *Host) penalise(p peer.ID) {
	h.pen.Lock()
	defer h.pen.Unlock()
	if h.pen.m == nil {
		h.pen.m = map[peer.ID]rejectRecord{}
	}
	now := time.Now()
	r := h.pen.m[p]
	h.pen.m[p] = rejectRecord{count: decayed(r, now) + 1, at: now}
}

// appScore is the application-specific score gossipsub adds for p:
// invalidWeight × (rejected messages, decayed)².
func (h *Host) appScore(p peer.ID) float64 {
	h.pen.Lock()
	defer h.pen.Unlock()
	r, ok := h.pen.m[p]
	if !ok {
		return 0
	}
	c := decayed(r, time.Now())
	if c < 0.01 {
		delete(h.pen.m, p)
		return 0
	}
	return invalidWeight * c * c
}

func decayed(r rejectRecord, now time.Time) float64 {
	if r.count == 0 {
		return 0
	}
	return r.count * math.Pow(0.5, now.Sub(r.at).Seconds()/rejectHalfLife.Seconds())
}
