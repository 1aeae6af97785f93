// Package api is photoproc's HTTP edge: the public huma v2 API (list pending photos, queue
// photos for processing, read a photo and its thumbnail, health and readiness, the OpenAPI
// document and an offline docs page) and the admin listener (metrics, the embedded admin page
// and its JSON actions).
//
// It holds no SQL and no AMQP: it reaches Postgres and RabbitMQ through the small interfaces
// declared here, and turns their sentinel errors into RFC 9457 problem responses. Internal
// error text is logged, never sent to a client.
package api
