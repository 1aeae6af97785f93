// Package admin is the admin listener's handler: the embedded admin page (counts, queue and
// pool, charts of the last hour, the latest thumbnails, a photo's details, failures and the
// actions on them), its JSON API under /api (documented at /api/openapi.json and /docs),
// /metrics, /healthz and /readyz, and the defences in front of them (guard.go).
//
// It queues photos only through package enqueue, as PUT /photos/process does, and reaches
// Postgres, RabbitMQ, the pool and the thumbnail storage through the small interfaces declared
// here. It is not the public API: nothing here is meant for clients other than an operator.
package admin
