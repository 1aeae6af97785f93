package queue

import (
	"errors"
	"fmt"
	"math"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/field"
	"github.com/photoproc/photoproc/retry"
)

// Queue types accepted in Config.QueueType.
const (
	Classic = "classic"
	Quorum  = "quorum"
)

// maxQueueName is RabbitMQ's limit on a queue name, in bytes.
const maxQueueName = 255

// Config says where the broker is, what the topology is called and how hard to try.
type Config struct {
	// URI is the broker address (AMQP_URI); default amqp://guest:guest@127.0.0.1:5672/.
	URI string
	// Queue is the work queue's name (PHOTOPROC_QUEUE); default "photo-processor". The dead
	// and delay queues are named after it.
	Queue string
	// QueueType is "classic" (default; declared with no arguments, so a queue the Python
	// service declared is reused) or "quorum" (replicated, with a delivery limit)
	// (PHOTOPROC_QUEUE_TYPE).
	QueueType string
	// Prefetch is the consumer's Qos prefetch count, per consumer (never global); default 4.
	// The daemon sets it from the pool size so that no more is held than can be worked on.
	Prefetch int
	// PublishChannels is the number of confirm-mode channels publishes share; default 4.
	PublishChannels int
	// RetryDelays are the delays retries wait, shortest first: one delay queue each
	// (<queue>.retry.<delay>). They are the retry policy's schedule (retry.Policy.Delays; the
	// daemon sets them from it); default that of retry.DefaultPolicy, 1s doubling up to 5m.
	// When to retry, and how often, is the pool's to decide, not the queue's.
	RetryDelays []time.Duration
	// DeliveryLimit is, for quorum queues only, how many times a message may be handed back
	// (crashes, requeues) before the broker dead-letters it to <queue>.dead; default 20.
	DeliveryLimit int
	// ConnectionName prefixes the client-provided connection names (" publish", " consume")
	// shown by rabbitmqctl list_connections; default "photoproc".
	ConnectionName string
	// Heartbeat is the AMQP heartbeat interval, whole seconds, at least 1s; default 10s. A dead
	// connection is noticed after about two of them.
	Heartbeat time.Duration
	// DialTimeout bounds one connection attempt, TCP and AMQP handshake; default 10s.
	DialTimeout time.Duration
	// ReconnectMin is the first delay before reconnecting; default 100ms. It doubles, with
	// jitter, on every failed attempt up to ReconnectMax; default 15s.
	ReconnectMin, ReconnectMax time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		URI:             "amqp://guest:guest@127.0.0.1:5672/",
		Queue:           "photo-processor",
		QueueType:       Classic,
		Prefetch:        4,
		PublishChannels: 4,
		RetryDelays:     retry.DefaultPolicy().Delays(),
		DeliveryLimit:   20,
		ConnectionName:  "photoproc",
		Heartbeat:       10 * time.Second,
		DialTimeout:     10 * time.Second,
		ReconnectMin:    100 * time.Millisecond,
		ReconnectMax:    15 * time.Second,
	}
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	// The URI is never shown: it may hold a password.
	if _, err := amqp.ParseURI(c.URI); err != nil {
		errs = append(errs, field.Invalid("URI", "AMQP URI", nil, "%v", err))
	}
	errs = append(errs, field.OneOf("QueueType", "queue type", c.QueueType, Classic, Quorum))
	if c.Prefetch < 1 || c.Prefetch > math.MaxUint16 {
		add("prefetch must be 1 to %d, got %d", math.MaxUint16, c.Prefetch)
	}
	if c.PublishChannels < 1 || c.PublishChannels > 1000 {
		add("publish channels must be 1 to 1000, got %d", c.PublishChannels)
	}
	errs = append(errs, c.validateDelays())
	if c.DeliveryLimit < 1 {
		add("delivery limit must be at least 1, got %d", c.DeliveryLimit)
	}
	if c.ConnectionName == "" {
		add("connection name must be set")
	}
	if c.Heartbeat < time.Second {
		add("heartbeat must be at least 1s, got %s", c.Heartbeat)
	}
	if c.DialTimeout <= 0 {
		add("dial timeout must be positive, got %s", c.DialTimeout)
	}
	if c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin {
		add("reconnect backoff must satisfy 0 < min <= max, got %s and %s", c.ReconnectMin, c.ReconnectMax)
	}
	errs = append(errs, c.validateNames()...)
	return errors.Join(errs...)
}

// maxTTL is the longest delay a delay queue can hold: x-message-ttl is an unsigned 32-bit
// number of milliseconds (49 days).
const maxTTL = time.Duration(math.MaxUint32) * time.Millisecond

func (c Config) validateDelays() error {
	if len(c.RetryDelays) == 0 {
		return errors.New("retry delays: none; a retry would have no delay queue")
	}
	for i, d := range c.RetryDelays {
		if d < time.Millisecond || d > maxTTL || d%time.Millisecond != 0 || (i > 0 && d <= c.RetryDelays[i-1]) {
			return fmt.Errorf("retry delays %v: want whole milliseconds from 1ms to %s, shortest first, each once", c.RetryDelays, maxTTL)
		}
	}
	return nil
}

func (c Config) validateNames() []error {
	if c.Queue == "" {
		return []error{field.Invalid("Queue", "queue name", c.Queue, "must be set")}
	}
	for _, name := range QueueNames(c) {
		if len(name) > maxQueueName {
			return []error{field.Invalid("Queue", "queue name", c.Queue, "too long: the queue %q is %d bytes, the broker allows %d",
				name, len(name), maxQueueName)}
		}
	}
	return nil
}
