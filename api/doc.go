// Package api is photoproc's public HTTP edge: the huma v2 API (list pending photos, queue
// photos for processing, read a photo and its thumbnail, health and readiness, the OpenAPI
// document and an offline docs page). Queuer is the one way photos are queued over HTTP; the
// admin listener (package admin) queues through it too, and shares the request log, the
// health routes and the internal-error problem exported here.
//
// It holds no SQL and no AMQP: it reaches Postgres and RabbitMQ through the small interfaces
// declared here, and turns their sentinel errors into RFC 9457 problem responses. Internal
// error text is logged, never sent to a client.
package api
