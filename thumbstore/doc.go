// Package thumbstore is the one place that knows where thumbnails live: a local directory or an
// S3-compatible bucket. It stores a thumbnail whole or not at all (Put), opens one for reading
// with its size, modification time and ETag (Open), says whether the store can be used
// (Check), hands out short-lived links (Presign, S3 only) and removes what unfinished writes
// left behind (RemoveLeftovers).
//
// Callers name a thumbnail by its Key ("<photo uuid>.jpg" for the primary) and get back the URL to record in
// photo_thumbnails.url; reading goes through that URL again, so a row always says where its
// thumbnail is. Making thumbnails is imaging's job; deciding what a failure means for a photo
// is the pool's: this package only reports ErrNotFound and ErrUnavailable.
package thumbstore
