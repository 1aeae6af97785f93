// Package httpx is the HTTP plumbing both of photoproc's listeners (the public API and the
// admin listener) share, so that it exists once: the request log (an id per request, an
// access line, panics turned into a problem), the internal-error problem that never sends a
// failure's text to a client, the health and readiness routes, and the serving of a
// photo's thumbnail from the thumbnail store (Thumbnails).
//
// It holds no routes of its own besides /healthz and /readyz and no rules about photos;
// those stay in the listeners (packages api and admin) and in package enqueue.
package httpx
