package node

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the node's Prometheus series, labelled by subnet.
type metrics struct {
	reg          *prometheus.Registry
	height       *prometheus.GaugeVec
	txs          *prometheus.CounterVec
	gas          *prometheus.CounterVec
	blockTxs     *prometheus.HistogramVec
	baseFee      *prometheus.GaugeVec
	poolPending  *prometheus.GaugeVec
	poolQueued   *prometheus.GaugeVec
	droppedEvent *prometheus.CounterVec

	round         *prometheus.GaugeVec
	heightSeconds *prometheus.HistogramVec
	received      *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	rebroadcast   *prometheus.CounterVec
	rejected      *prometheus.CounterVec
	stepErrors    *prometheus.CounterVec
	synced        *prometheus.CounterVec
	stage         *prometheus.HistogramVec
	// subnetFailures counts child runtimes stopped by a failure (and
	// restarted later); the root's failure stops the node instead.
	subnetFailures *prometheus.CounterVec
	// juryVerdicts counts this node's jury verdicts by chain and outcome
	// (valid, invalid, fraud_proven); juryFailures its tries that reached
	// none (the child withheld its blocks, a submission failed).
	juryVerdicts *prometheus.CounterVec
	juryFailures *prometheus.CounterVec
	// juryMissed counts the seats of jury rounds that ended without their
	// juror's attestation, as the chain's JurorMissed events say: silent
	// jurors are noted, not slashed.
	juryMissed *prometheus.CounterVec
	// tree reads, at each scrape, the queues between served children and
	// their parents: checkpoint lag and messages queued each way.
	tree *treeCollector
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		height: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "aspen_chain_height", Help: "Height of the last committed block.",
		}, []string{"subnet"}),
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aspen_chain_transactions_total", Help: "Transactions committed.",
		}, []string{"subnet"}),
		gas: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aspen_chain_gas_used_total", Help: "Gas used by committed blocks.",
		}, []string{"subnet"}),
		blockTxs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aspen_block_transactions", Help: "Transactions per committed block.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}, []string{"subnet"}),
		baseFee: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "aspen_chain_base_fee_wei", Help: "Base fee of the last committed block.",
		}, []string{"subnet"}),
		poolPending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "aspen_mempool_pending", Help: "Executable transactions in the pool.",
		}, []string{"subnet"}),
		poolQueued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "aspen_mempool_queued", Help: "Transactions waiting for a nonce gap to fill.",
		}, []string{"subnet"}),
		droppedEvent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aspen_rpc_dropped_events_total", Help: "Subscription events a slow client missed.",
		}, []string{"subnet", "kind"}),
	}
	m.round = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "aspen_consensus_round", Help: "Round in which the last block was finalized.",
	}, []string{"subnet"})
	m.heightSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "aspen_consensus_height_seconds", Help: "Wall time between two committed blocks.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
	}, []string{"subnet"})
	m.received = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_p2p_messages_received_total", Help: "Gossip messages accepted and handed to the subnet (votes, proposals, txs).",
	}, []string{"subnet", "topic"})
	m.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_p2p_messages_dropped_total", Help: "Accepted messages dropped because the consumer was full.",
	}, []string{"subnet", "topic"})
	m.rebroadcast = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_p2p_txs_rebroadcast_total", Help: "Pool transactions published again after waiting (rebroadcast.go).",
	}, []string{"subnet"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_p2p_messages_rejected_total", Help: "Messages rejected as invalid; their senders are penalised.",
	}, []string{"subnet", "topic"})
	m.stepErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_consensus_rejected_inputs_total", Help: "Engine inputs refused (old, future or invalid).",
	}, []string{"subnet", "kind"})
	m.synced = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_blocksync_blocks_total", Help: "Blocks learned through block sync, certificates verified.",
	}, []string{"subnet"})
	m.stage = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "aspen_block_stage_seconds", Help: "Wall time to build, verify (execute) and commit (durably) one block.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"subnet", "stage"})
	m.subnetFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_subnet_failures_total", Help: "Child subnet runtimes stopped by a failure; each is restarted after a backoff.",
	}, []string{"subnet"})
	m.tree = newTreeCollector()
	m.juryVerdicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_jury_verdicts_total", Help: "Checkpoints this node judged as a juror, by the chain holding them and verdict.",
	}, []string{"subnet", "verdict"})
	m.juryFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_jury_failures_total", Help: "Jury duties this node tried without reaching a verdict (period not served, submission failed).",
	}, []string{"subnet"})
	m.juryMissed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aspen_jury_missed_seats_total", Help: "Jury seats whose juror did not attest before its round closed (JurorMissed events), by the chain holding the checkpoints.",
	}, []string{"subnet"})
	m.reg.MustRegister(m.subnetFailures, m.tree, m.juryVerdicts, m.juryFailures, m.juryMissed)
	m.reg.MustRegister(m.stage, m.round, m.heightSeconds, m.received, m.dropped, m.rebroadcast, m.rejected, m.stepErrors, m.synced)
	m.reg.MustRegister(m.height, m.txs, m.gas, m.blockTxs, m.baseFee, m.poolPending, m.poolQueued, m.droppedEvent,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// treeCollector exports what childQueues reads when Prometheus scrapes:
// gateway state is read at most once a scrape, not at every block.
type treeCollector struct {
	lag, queue *prometheus.Desc
	read       atomic.Pointer[func() []childQueues] // nil until the node sets it
}

var _ prometheus.Collector = (*treeCollector)(nil)

func newTreeCollector() *treeCollector {
	return &treeCollector{
		lag: prometheus.NewDesc("aspen_checkpoint_lag_blocks",
			"Blocks final on a child subnet and not yet covered by a checkpoint its parent committed (child final height minus the last committed checkpoint's height).",
			[]string{"subnet"}, nil),
		queue: prometheus.NewDesc("aspen_crossmsg_queue_depth",
			"Cross-subnet messages queued and not yet applied, by child subnet: direction=up sent by the child to its parent, down sent by the parent to the child.",
			[]string{"subnet", "direction"}, nil),
	}
}

// source sets what Collect reads.
func (c *treeCollector) source(read func() []childQueues) { c.read.Store(&read) }

func (c *treeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.queue
}

func (c *treeCollector) Collect(ch chan<- prometheus.Metric) {
	read := c.read.Load()
	if read == nil {
		return
	}
	for _, q := range (*read)() {
		id := string(q.id)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(q.checkpointLag), id)
		ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(q.up), id, "up")
		ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(q.down), id, "down")
	}
}
