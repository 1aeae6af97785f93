package e2e

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/photoproc/photoproc/thumbstore"
)

// What the thumbnail store of the services holds, read straight from the directory or the
// bucket, not through the daemon.

// thumbnailURL is what the row of photo id must record.
func (s *services) thumbnailURL(id uuid.UUID) string {
	name := id.String() + ".jpg"
	if s.s3 != nil {
		return "s3://" + s.bucket + "/" + s3Prefix + "/" + name
	}
	return name
}

// readStored reads the thumbnail a row's url names.
func (s *services) readStored(t *testing.T, url string) []byte {
	t.Helper()
	if s.s3 == nil {
		data, err := os.ReadFile(filepath.Join(s.thumbs, url))
		if err != nil {
			t.Fatalf("thumbnail file: %v", err)
		}
		return data
	}
	key, ok := strings.CutPrefix(url, "s3://"+s.bucket+"/")
	if !ok {
		t.Fatalf("thumbnail url %q is not in bucket %s", url, s.bucket)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	obj, err := s.s3.Client(t).GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("thumbnail object %s: %v", key, err)
	}
	return data
}

// stored lists the store's content: temporary files unfinished writes left (a bucket has
// none: an upload is whole or absent), and the URLs a row would record for the rest.
func (s *services) stored(t *testing.T) (temp, urls []string) {
	t.Helper()
	if s.s3 != nil {
		for _, key := range s.s3.Objects(t, s.bucket) {
			urls = append(urls, "s3://"+s.bucket+"/"+key)
		}
		return nil, urls
	}
	entries, err := os.ReadDir(s.thumbs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), thumbstore.TempPrefix) {
			temp = append(temp, e.Name())
		} else {
			urls = append(urls, e.Name())
		}
	}
	return temp, urls
}
