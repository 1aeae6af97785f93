package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/imaging"
)

const usage = `photoproc — thumbnail worker daemon

Usage:
  photoproc serve [--role=all|api|worker] [flags]   run the daemon (API, admin listener, workers)
  photoproc migrate up|down|status|new NAME         database migrations embedded in the binary
  photoproc submit-pending [--api URL] [--batch N]   queue every pending photo through the API
  photoproc backfill [--batch N] [flags]             queue the completed photos that lack a thumbnail the settings ask for
  photoproc thumbnail [-o DIR] [-j N] FILE...        make thumbnails of local files as the daemon would, N at once
  photoproc demo                                     run the daemon on bundled sample photos
  photoproc openapi                                  print the OpenAPI document (YAML)
  photoproc config-docs                              print the configuration reference (Markdown)
  photoproc version                                  print version, commit and Go version
  photoproc healthcheck [--url URL]                  exit 0 if the daemon (PHOTOPROC_ADMIN_ADDR) is ready, for containers

Configuration comes from environment variables (docs/configuration.md, or "photoproc
config-docs"); each is also a flag of serve: run "photoproc serve -h" for the list.
`

// run runs the command in args and returns the process exit code.
func run(ctx context.Context, args []string, env *cliEnv) int {
	stdout, stderr := env.stdout, env.stderr
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, *cliEnv, []string) error{
		"serve":          cmdServe,
		"migrate":        cmdMigrate,
		"submit-pending": cmdSubmitPending,
		"backfill":       cmdBackfill,
		"thumbnail":      cmdThumbnail,
		"demo":           cmdDemo,
		"openapi":        cmdOpenAPI,
		"config-docs":    cmdConfigDocs,
		"version":        cmdVersion,
		"healthcheck":    cmdHealthcheck,
	}
	cmd, ok := cmds[args[0]]
	switch {
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case !ok:
		fmt.Fprintf(stderr, "photoproc: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, env, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "photoproc %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage means the command already explained what was wrong with its arguments.
var errUsage = errors.New("usage")

// cliEnv is what a command may touch of the outside world.
type cliEnv struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (e *cliEnv) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("photoproc "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// config loads the daemon's configuration for a command; bad configuration is printed one
// problem per line.
func (e *cliEnv) config(fs *flag.FlagSet, args []string) (daemon.Config, error) {
	cfg, err := daemon.LoadConfig(args, e.getenv, fs)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, err
	}
	if err != nil {
		return cfg, fmt.Errorf("bad configuration:\n%w", err)
	}
	return cfg, nil
}

func cmdServe(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("serve")
	cfg, err := e.config(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return daemon.Serve(ctx, cfg, daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel), nil)
}

func cmdOpenAPI(_ context.Context, e *cliEnv, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments")
	}
	doc, err := openAPIDocument()
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(doc)
	return err
}

// cmdConfigDocs prints docs/configuration.md, made from the daemon's table of settings.
func cmdConfigDocs(_ context.Context, e *cliEnv, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments")
	}
	return daemon.WriteConfigReference(e.stdout)
}

func cmdVersion(_ context.Context, e *cliEnv, _ []string) error {
	v := readVersion()
	fmt.Fprintf(e.stdout, "photoproc %s\ncommit %s\n%s\nJPEG codec %s\nHEIF codec %s\ncolour profiles %s\nthumbnail encoders %s\nGOMAXPROCS %d\n",
		v.Version, v.Commit, v.Go, imaging.JPEGCodec, imaging.HEIFSupport(), imaging.ColourEngine(), imaging.EncoderSupport(), runtime.GOMAXPROCS(0))
	return nil
}

// cmdHealthcheck asks a running daemon's readiness endpoint; for container HEALTHCHECKs,
// where no curl is installed. By default it asks the admin listener PHOTOPROC_ADMIN_ADDR
// names, as the daemon beside it was configured.
func cmdHealthcheck(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("healthcheck")
	ready, err := daemon.ReadyURL(e.getenv)
	if err != nil {
		return err
	}
	url := fs.String("url", ready, "readiness URL to ask (default: /readyz of the admin listener PHOTOPROC_ADMIN_ADDR names)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", *url, resp.Status)
	}
	return nil
}
