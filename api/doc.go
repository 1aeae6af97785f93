// Package api is photoproc's public HTTP edge: the huma v2 API (list pending photos, queue
// photos for processing, read a photo and its thumbnail, health and readiness, the OpenAPI
// document and an offline docs page). It queues photos through package enqueue, as the admin
// listener does, and turns enqueue's errors into its own problems; the request log, health
// routes, internal-error problem and thumbnail serving it shares with the admin listener are
// in internal/httpx.
//
// It holds no SQL and no AMQP: it reaches Postgres and RabbitMQ through the small interfaces
// declared here, and turns their sentinel errors into RFC 9457 problem responses. Internal
// error text is logged, never sent to a client.
package api
