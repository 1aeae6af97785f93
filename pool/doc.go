// Package pool turns queue deliveries into thumbnails: a bounded pond worker pool where each
// task claims a photo in the store, downloads it, makes and writes its thumbnail, records it,
// and only then acks the delivery. Failures are classified in one place (errors.go): permanent
// ones fail the photo, transient ones go back to the queue through a delay queue, and a task
// that panics is retried the same way, never lost and never redelivered in a hot loop. It also
// pauses intake while the database is unreachable and requeues photos whose lease expired with
// no worker behind them.
//
// It does not talk to Postgres or RabbitMQ itself: it uses the store and queue packages through
// the small interfaces declared here.
package pool
