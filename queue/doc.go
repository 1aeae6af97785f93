// Package queue is the daemon's only door to RabbitMQ: it owns the connections, declares the
// topology, publishes photo messages with publisher confirms, and consumes them with manual
// acks, reconnecting by itself whenever the broker goes away.
//
// Topology (all queues durable, all on the default exchange, routing key = queue name):
//
//	<queue>                 the work queue; body {"photo_uuid":"<uuid>"}, persistent
//	<queue>.dead            messages given up on, with x-photoproc-reason/-attempts headers
//	<queue>.retry.<delay>   one delay queue per backoff step; expired messages flow back to <queue>
//
// A Publisher keeps one connection and a small pool of confirm-mode channels and reports only
// what the broker confirmed. A Consumer keeps another connection (so broker flow control on
// publishing never stalls acks) and hands each Delivery to a callback; the Delivery settles
// itself on the channel that delivered it (Ack, Requeue, DeadLetter), and can publish a copy of
// itself to a delay queue (PublishRetry: a waiting retry holds no worker) or to the dead-letter
// queue (PublishDeadLetter) for the caller to ack once the copy is confirmed.
//
// It is not for deciding what to retry or how often, how to process a photo or what to record
// in Postgres: that is the pool's job. It knows nothing about photos beyond their UUID.
package queue
