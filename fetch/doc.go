// Package fetch downloads a photo's bytes from an outside URL safely: the URL is untrusted input
// (anyone who can insert a row into photos chooses it), so the download is held to limits the
// way imgproxy holds it.
//
//   - Only http and https, on the first request and on every redirect hop.
//   - The address actually dialled is checked after DNS resolution, in the dialer, so a host name
//     that resolves to 127.0.0.1, the cloud metadata address 169.254.169.254, or a name that is
//     rebound between two lookups is refused (ErrBlockedAddress) unless Config.AllowPrivate.
//   - No proxy from the environment: a proxy would make the dial check see the proxy's address.
//   - Body size is capped while reading, not only by Content-Length (ErrTooLarge); the whole
//     download, and separately the connect/first-byte phase, have deadlines.
//
// Errors are classified for the caller's retry decision with Permanent; the decision itself is
// made by the worker pool.
//
// It is not an HTTP client for anything else (no methods other than GET, no request bodies, no
// cookies), and it knows nothing of images: whether the bytes are a photo is the imaging
// package's concern.
package fetch
