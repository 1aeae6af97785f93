package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// queueSpec is one queue of the topology and the arguments it is declared with.
type queueSpec struct {
	name string
	args amqp.Table
}

// QueueNames returns every queue the topology of cfg declares: the work queue, the dead-letter
// queue and one delay queue per retry delay (Config.RetryDelays).
func QueueNames(cfg Config) []string {
	specs := topology(cfg)
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// DeadQueue is the name of the queue messages that were given up on go to.
func DeadQueue(cfg Config) string { return cfg.Queue + ".dead" }

// RetryQueue is the name of the delay queue that holds a message for delay.
func RetryQueue(cfg Config, delay time.Duration) string {
	return cfg.Queue + ".retry." + delay.String()
}

// retryDelayFor is the delay queue a retry waiting wait goes to: the shortest delay that is at
// least wait, else the longest. Its TTL caps the message's own, which says wait.
func retryDelayFor(cfg Config, wait time.Duration) time.Duration {
	for _, d := range cfg.RetryDelays {
		if d >= wait {
			return d
		}
	}
	return cfg.RetryDelays[len(cfg.RetryDelays)-1]
}

// topology lists the queues in declaration order: dead first, so that the work queue's
// dead-letter target exists before anything can be dead-lettered into it.
func topology(cfg Config) []queueSpec {
	specs := []queueSpec{
		{name: DeadQueue(cfg), args: typeArgs(cfg)},
		{name: cfg.Queue, args: mainArgs(cfg)},
	}
	for _, d := range cfg.RetryDelays {
		args := typeArgs(cfg)
		if args == nil {
			args = amqp.Table{}
		}
		args["x-message-ttl"] = d.Milliseconds()
		args["x-dead-letter-exchange"] = ""
		args["x-dead-letter-routing-key"] = cfg.Queue
		specs = append(specs, queueSpec{name: RetryQueue(cfg, d), args: args})
	}
	return specs
}

// typeArgs are the arguments every queue of a quorum topology carries. Classic queues get
// none at all, so they match a queue the Python service declared (durable, no arguments).
func typeArgs(cfg Config) amqp.Table {
	if cfg.QueueType != Quorum {
		return nil
	}
	return amqp.Table{"x-queue-type": Quorum}
}

func mainArgs(cfg Config) amqp.Table {
	args := typeArgs(cfg)
	if args == nil {
		return nil
	}
	args["x-delivery-limit"] = int32(cfg.DeliveryLimit)
	args["x-dead-letter-exchange"] = ""
	args["x-dead-letter-routing-key"] = DeadQueue(cfg)
	return args
}

// declarer declares the topology on every (re)connect and remembers which mismatches it has
// already reported, so an operator sees each one once, not on every reconnect.
type declarer struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	warned map[string]bool
}

func newDeclarer(cfg Config, log *slog.Logger) *declarer {
	return &declarer{cfg: cfg, log: log, warned: map[string]bool{}}
}

// declare makes sure every queue exists. A queue that already exists with other arguments (a
// different type, or declared by hand) is used as it is: refusing to start would stop photo
// processing over something only an operator can fix, so it is reported instead.
func (d *declarer) declare(conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer func() { _ = ch.Close() }()
	for _, q := range topology(d.cfg) {
		_, err := ch.QueueDeclare(q.name, true, false, false, false, q.args)
		if err == nil {
			continue
		}
		var aerr *amqp.Error
		if !errors.As(err, &aerr) || !aerr.Recover || (aerr.Code != amqp.PreconditionFailed && aerr.Code != amqp.AccessRefused) {
			return fmt.Errorf("declare queue %s: %w", q.name, err)
		}
		// The broker closed the channel over the mismatch; check on a new one that the queue
		// is there at all.
		if ch, err = conn.Channel(); err != nil {
			return fmt.Errorf("open channel: %w", err)
		}
		if _, perr := ch.QueueDeclarePassive(q.name, true, false, false, false, nil); perr != nil {
			return fmt.Errorf("declare queue %s: %w", q.name, err)
		}
		d.mismatch(q, aerr)
	}
	return nil
}

func (d *declarer) mismatch(q queueSpec, aerr *amqp.Error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.warned[q.name] {
		return
	}
	d.warned[q.name] = true
	d.log.Error("queue exists with other arguments than configured; using it as it is (delete it, or change the configuration, to fix)",
		"queue", q.name, "want_arguments", describe(q.args), "broker", aerr.Reason)
}

func describe(args amqp.Table) string {
	if len(args) == 0 {
		return "none"
	}
	return fmt.Sprint(args)
}
