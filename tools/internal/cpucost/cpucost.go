// Package cpucost measures what one item of a batch command costs in CPU time, without the
// command's start-up: for the benchmark tools, which compare photoproc with other programs.
package cpucost

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Copies writes n copies of file into a new folder in work, under distinct names so that no
// program can serve one from a cache, and returns their paths.
func Copies(file, work string, n int) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(work, "in")
	if err != nil {
		return nil, err
	}
	copies := make([]string, n)
	for i := range copies {
		copies[i] = filepath.Join(dir, fmt.Sprintf("p%03d%s", i, filepath.Ext(file)))
		if err := os.WriteFile(copies[i], data, 0o644); err != nil {
			return nil, err
		}
	}
	return copies, nil
}

// PerItem runs the command cmd builds on all of files (at least two), then on the first
// alone, each writing into a new output folder in work. The difference of the two processes'
// CPU time (user + system), divided by len(files)-1, is one item's cost. It also returns the
// files the first process wrote, sorted.
func PerItem(work string, files []string, cmd func(outDir string, files []string) *exec.Cmd) (time.Duration, []string, error) {
	var cpu [2]time.Duration
	var made []string
	for i, fs := range [][]string{files, files[:1]} {
		dir, err := os.MkdirTemp(work, "out")
		if err != nil {
			return 0, nil, err
		}
		c := cmd(dir, fs)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Run(); err != nil {
			return 0, nil, fmt.Errorf("%s: %v: %s", c.Path, err, strings.TrimSpace(stderr.String()))
		}
		cpu[i] = c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		if i == 0 {
			made, _ = filepath.Glob(filepath.Join(dir, "*"))
		}
	}
	return (cpu[0] - cpu[1]) / time.Duration(len(files)-1), made, nil
}
