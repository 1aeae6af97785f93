// Package enqueue queues photos for processing: it decides which of the photos asked for
// may be queued (pending and failed ones; a failed one is reopened with its attempts
// anew), publishes one message for each on the broker, and reports what the broker
// confirmed and what was skipped, and why.
//
// It is the one way photos are queued on request: the public API's PUT /photos/process and
// the admin listener's retry action both call it, so the rules are the same from either.
// It speaks in domain terms — a Result, and sentinel errors such as ErrUnknownPhotos and
// ErrBrokerUnavailable — and each listener turns those into its own statuses and messages.
// It is not the worker side (package pool takes messages off the queue) and holds no SQL
// or AMQP: it reaches Postgres and RabbitMQ through the interfaces declared here.
package enqueue
