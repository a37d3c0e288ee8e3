package libp2p

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/p2p"
)

// metrics are the host's Prometheus series. A nil *metrics (no Registerer)
// records nothing.
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector

	peers     prometheus.GaugeFunc
	bytes     *prometheus.CounterVec // topic, direction
	messages  *prometheus.CounterVec // topic, verdict
	penalised prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, h *Host) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		reg: reg,
		peers: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "aspen", Subsystem: "p2p", Name: "peers",
			Help: "Connected peers.",
		}, func() float64 { return float64(len(h.host.Network().Peers())) }),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "aspen", Subsystem: "p2p", Name: "gossip_bytes_total",
			Help: "Gossip payload bytes by topic: direction=in counts every message received from a peer (before validation), out every message we published.",
		}, []string{"topic", "direction"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "aspen", Subsystem: "p2p", Name: "gossip_messages_total",
			Help: "Gossip messages from peers by topic and validator verdict (delivered, ignored, rejected).",
		}, []string{"topic", "verdict"}),
		penalised: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "aspen", Subsystem: "p2p", Name: "penalised_peers",
			Help: "Connected peers whose gossipsub score is negative, at the last score inspection.",
		}),
	}
	for _, c := range []prometheus.Collector{m.peers, m.bytes, m.messages, m.penalised} {
		if err := reg.Register(c); err != nil {
			m.unregister()
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("%w: metrics already registered (one host per registerer): %w", ErrConfig, err)
			}
			return nil, fmt.Errorf("libp2p: register metrics: %w", err)
		}
		m.collectors = append(m.collectors, c)
	}
	return m, nil
}

func (m *metrics) unregister() {
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
	m.collectors = nil
}

func (m *metrics) received(topic string, n int) {
	if m != nil {
		m.bytes.WithLabelValues(topic, "in").Add(float64(n))
	}
}

func (m *metrics) sent(topic string, n int) {
	if m != nil {
		m.bytes.WithLabelValues(topic, "out").Add(float64(n))
	}
}

func (m *metrics) judged(topic string, v p2p.Verdict) {
	if m == nil {
		return
	}
	label := "rejected"
	switch v {
	case p2p.Accept:
		label = "delivered"
	case p2p.Ignore:
		label = "ignored"
	}
	m.messages.WithLabelValues(topic, label).Inc()
}

func (m *metrics) setPenalised(n int) {
	if m != nil {
		m.penalised.Set(float64(n))
	}
}
