package migrations

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Config tunes a Migrator.
type Config struct {
	// LockTimeout bounds every lock wait: for the migration lock, and for the tables a
	// migration alters (it is the session's lock_timeout while migrating), and the status
	// query. A migration's run time is not bounded. Default 30s; at least 1ms.
	LockTimeout time.Duration
	// VersionTable is the table, optionally schema-qualified, where tern records the version.
	// Default "schema_version".
	VersionTable string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		LockTimeout:  30 * time.Second,
		VersionTable: "schema_version",
	}
}

// The version table name is spliced into SQL by tern, so only plain identifiers are allowed.
var versionTablePattern = regexp.MustCompile(`\A[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?\z`)

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.LockTimeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("lock timeout %s: must be at least 1ms", c.LockTimeout))
	}
	if !versionTablePattern.MatchString(c.VersionTable) {
		errs = append(errs, fmt.Errorf("version table %q: must be a lower-case identifier, optionally schema.table", c.VersionTable))
	}
	return errors.Join(errs...)
}
