package pool

import (
	"log/slog"
	"time"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/store"
)

// attempt is one delivery on its way through the stages: the claim it made on its photo, what
// it downloaded and made of it, and how it runs beside the other attempts in this process.
// Each stage fills in its part and hands it on; whichever ends it settles it.
type attempt struct {
	d     Delivery
	log   *slog.Logger
	start time.Time

	photo store.Photo
	claim store.Claim // zero until the photo is claimed, and again once the claim is undone
	run   hold        // how it holds the process's run lock (see runs)

	src     []byte        // the downloaded photo, until it is thumbnailed
	size    int           // of src, in bytes
	made    imaging.Set   // the thumbnails made of it: those its photo lacks
	files   []file        // made's thumbnails to store, and the rows naming each
	written bool          // every file is stored: what is left is recording them
	took    store.Timings // of each stage, recorded with the thumbnails
}

// claimed reports whether the attempt holds a claim on its photo.
func (a *attempt) claimed() bool { return a.claim.Attempt > 0 }
