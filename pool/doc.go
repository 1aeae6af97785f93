// Package pool turns queue deliveries into thumbnails: bounded pond worker pools where each
// delivery claims its photo in the store (one attempt, counted there), downloads it, makes and
// writes its thumbnail, records it, and only then acks the delivery.
//
// Failures are classified in one place (errors.go): permanent ones fail the photo, transient
// ones go back to the queue through a delay queue (a panic too), until the photo's attempts
// are spent. Outcomes are settled by one rule (settle.go): record, publish, ack; when the
// database or the broker cannot take a step, the delivery is held and the step tried again
// with a backoff while intake is paused for that cause (gate.go), so nothing spins and no
// attempt is spent on our own infrastructure failing. A photo whose previous worker died on it
// runs alone (alone.go), so that a photo that kills its worker is charged alone and failed
// after its attempts. The leases of photos in flight are kept alive (leases.go), and photos
// whose message is gone are queued again (sweeper.go).
//
// It does not talk to Postgres or RabbitMQ itself: it uses the store and queue packages through
// the small interfaces declared here.
package pool
