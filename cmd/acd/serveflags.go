package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/acdserver/acd/config"
	acdserver "github.com/acdserver/acd/server"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		usage(stderr)
		fmt.Fprintln(stderr, "\nacd serve flags:")
		fs.PrintDefaults()
	}
	var (
		path     = fs.String("config", "", "configuration file (default: the embedded one)")
		sipAddr  = fs.String("sip", "", "SIP address for UDP and TCP, IP:PORT")
		httpAddr = fs.String("http", "", "HTTP address, IP:PORT")
		dataDir  = fs.String("data", "", "data directory")
		rtpPorts = fs.String("rtp-ports", "", "RTP port range LOW-HIGH")
		logLevel = fs.String("log-level", "", "debug, info, warn or error")
		logFmt   = fs.String("log-format", "", "text or json")
		cpuProf  = fs.String("cpuprofile", "", "write a CPU profile to this file until the server stops (for bench/)")
		memProf  = fs.String("memprofile", "", "write a heap profile to this file when the server stops (for bench/)")
		drainFor = fs.String("drain-timeout", "", "how long a stopping server lets calls finish (0: hang up at once)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	prog, err := acdserver.LoadProgramData(*path, *dataDir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	s := &prog.Config().Server
	for _, o := range []struct {
		flag string
		dst  *string
	}{{*sipAddr, &s.SIP}, {*httpAddr, &s.HTTP}, {*dataDir, &s.DataDir}, {*rtpPorts, &s.RTPPorts}, {*logLevel, &s.LogLevel}, {*logFmt, &s.LogFormat}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if *drainFor != "" {
		d, err := time.ParseDuration(*drainFor)
		if err != nil || d < 0 {
			fmt.Fprintf(stderr, "acd: -drain-timeout %q: want a duration like 30s, or 0\n", *drainFor)
			return 2
		}
		s.DrainTimeout = config.Duration(d)
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			fmt.Fprintln(stderr, "acd:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "acd:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *memProf != "" {
		// The profile is written when the stop is asked and before the
		// server is told, so that its in-use view holds the live calls; a
		// sample every 16 KiB rather than 512 tells a call's few KiB apart.
		runtime.MemProfileRate = 16 << 10
		asked := ctx
		runCtx, stopRun := context.WithCancel(context.Background())
		defer stopRun()
		go func() {
			select {
			case <-asked.Done():
				if err := writeHeapProfile(*memProf); err != nil {
					fmt.Fprintln(stderr, "acd:", err)
				}
				stopRun()
			case <-runCtx.Done():
			}
		}()
		ctx = runCtx
	}
	if err := acdserver.Run(ctx, prog, acdserver.Options{Version: version, Log: stderr}); err != nil {
		fmt.Fprintln(stderr, "acd:", err)
		return exitCode(err)
	}
	return 0
}

// writeHeapProfile writes the heap profile to path, after a collection so
// that its in-use figures are current.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	// The runtime's own split of the memory, beside the profile: what the
	// heap holds, what goroutine stacks take, what the runtime keeps.
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	stats := fmt.Sprintf("heap_inuse %d\nheap_alloc %d\nheap_idle %d\nheap_released %d\nstack_inuse %d\nsys %d\nnum_gc %d\ngoroutines %d\n",
		m.HeapInuse, m.HeapAlloc, m.HeapIdle, m.HeapReleased, m.StackInuse, m.Sys, m.NumGC, runtime.NumGoroutine())
	if err := os.WriteFile(path+".memstats", []byte(stats), 0o644); err != nil {
		return fmt.Errorf("writing the heap profile's memory figures: %w", err)
	}
	return nil
}
