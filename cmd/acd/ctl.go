package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/acdserver/acd/config"
	acdserver "github.com/acdserver/acd/server"
)

const ctlUsage = `usage: acd ctl [-config FILE] [-http ADDR] [-data DIR] COMMAND
commands:
  queues                  every queue: callers waiting, oldest wait, agents logged in and ready
  queue show NAME         one queue's waiting list and its agents
  agents                  every agent's state
  calls                   the calls and legs up now
  trunks                  every trunk: address, registration with the carrier
  sip trace on [PEER...]  log every SIP message, to and from every peer or only these
                          (addresses, prefixes or users); off: back to the configuration's
  sip trace off
`

// ctlCmd talks to the running server, as asterisk -rx does: over its
// HTTP listener, with the token the server wrote into its data directory.
func ctlCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("ctl", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, ctlUsage); fset.PrintDefaults() }
	path := fset.String("config", "", "configuration file (for server.http and data_dir; default: the embedded one)")
	addr := fset.String("http", "", "the server's HTTP address, IP:PORT (default: the configuration's server.http)")
	dataDir := fset.String("data", "", "the server's data directory, where it writes its ctl token (default: the configuration's data_dir)")
	// Flags may come anywhere: acd ctl queue show support -http …
	var words []string
	for rest := args; ; {
		if err := fset.Parse(rest); err != nil {
			return 2
		}
		if fset.NArg() == 0 {
			break
		}
		words, rest = append(words, fset.Arg(0)), fset.Args()[1:]
	}
	var running *config.Config // for HTTPS: whether, and its certificate
	if *path != "" || *addr == "" || *dataDir == "" {
		prog, err := acdserver.LoadProgram(*path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		running = prog.Config()
		if *addr == "" {
			*addr = prog.Config().Server.HTTP
		}
		if *dataDir == "" {
			*dataDir = prog.Config().Server.DataDir
		}
	}
	scheme, client, err := acdserver.CtlHTTP(running)
	if err != nil {
		fmt.Fprintln(stderr, "acd ctl:", err)
		return 1
	}
	c := &ctlClient{addr: *addr, scheme: scheme, tokenPath: filepath.Join(*dataDir, acdserver.CtlTokenFile), http: client}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	defer w.Flush()
	switch strings.Join(words, " ") {
	case "queues":
		err = c.queues(ctx, w)
	case "agents":
		err = c.agents(ctx, w)
	case "calls":
		err = c.calls(ctx, w)
	case "trunks":
		err = c.trunks(ctx, w)
	case "sip trace off":
		err = c.trace(ctx, w, acdserver.CtlTrace{On: false})
	default:
		switch {
		case len(words) == 3 && words[0] == "queue" && words[1] == "show":
			err = c.queue(ctx, w, words[2])
		case len(words) >= 3 && words[0] == "sip" && words[1] == "trace" && words[2] == "on":
			err = c.trace(ctx, w, acdserver.CtlTrace{On: true, Peers: words[3:]})
		default:
			if len(words) > 0 {
				fmt.Fprintf(stderr, "acd ctl: unknown command %q\n", strings.Join(words, " "))
			}
			fmt.Fprint(stderr, ctlUsage)
			return 2
		}
	}
	if err != nil {
		_ = w.Flush()
		fmt.Fprintln(stderr, "acd ctl:", err)
		return 1
	}
	return 0
}

// ctlClient calls the ctl endpoints of one server.
type ctlClient struct {
	addr, tokenPath string
	scheme          string // http or https
	http            *http.Client
}

// do sends a request and decodes the answer into out, or says plainly why
// it could not: no server, no token, the wrong token, or the server's
// own message.
func (c *ctlClient) do(ctx context.Context, method, path string, body, out any) error {
	raw, err := os.ReadFile(c.tokenPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no ctl token at %s: the server writes a fresh one there each time it starts; "+
			"is it running on this data directory (-data names another)?", c.tokenPath)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read the ctl token at %s: run acd ctl as the user the server runs as", c.tokenPath)
	case err != nil:
		return fmt.Errorf("reading the ctl token: %w", err)
	}
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.scheme+"://"+c.addr+acdserver.CtlPrefix+path, payload)
	if err != nil {
		return fmt.Errorf("server address %q: %w", c.addr, err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(raw)))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if errors.Is(err, acdserver.ErrCtlCertificate) {
		return errors.Unwrap(err)
	}
	if err != nil {
		return fmt.Errorf("no acd server answers at %s (is it running? -http names another address): %w", c.addr, errors.Unwrap(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the answer from %s: %w", c.addr, err)
	}
	var problem acdserver.CtlError
	_ = json.Unmarshal(data, &problem)
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("the server at %s refused the token from %s: it is not that server's token "+
			"(is -data the data directory of the server listening there?)", c.addr, c.tokenPath)
	case res.StatusCode == http.StatusNotFound && problem.Error == "":
		return fmt.Errorf("the server at %s has no ctl endpoints: is it acd, of this version?", c.addr)
	case res.StatusCode != http.StatusOK && problem.Error != "":
		return errors.New(problem.Error)
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("the server at %s answered %s", c.addr, res.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("reading the answer from %s: %w", c.addr, err)
	}
	return nil
}

func (c *ctlClient) queues(ctx context.Context, w io.Writer) error {
	var qs []acdserver.CtlQueue
	if err := c.do(ctx, http.MethodGet, "/queues", nil, &qs); err != nil {
		return err
	}
	fmt.Fprintln(w, "QUEUE\tNAME\tEXTENSION\tSTRATEGY\tWAITING\tCALLBACKS\tOLDEST WAIT\tLOGGED IN\tREADY")
	for _, q := range qs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\n", q.ID, dash(q.Name), dash(q.Extension), q.Strategy,
			q.Waiting, q.Callbacks, seconds(q.OldestWaitSeconds), q.LoggedIn, q.Ready)
	}
	return nil
}

func (c *ctlClient) queue(ctx context.Context, w io.Writer, name string) error {
	var d acdserver.CtlQueueDetail
	if err := c.do(ctx, http.MethodGet, "/queues/"+url.PathEscape(name), nil, &d); err != nil {
		return err
	}
	q := d.Queue
	title := "Queue " + q.ID
	if q.Name != "" {
		title += " (" + q.Name + ")"
	}
	fmt.Fprintf(w, "%s, extension %s, strategy %s\n", title, dash(q.Extension), q.Strategy)
	fmt.Fprintf(w, "waiting %d, callback requests %d, oldest wait %s; agents logged in %d, ready %d\n\n",
		q.Waiting, q.Callbacks, seconds(q.OldestWaitSeconds), q.LoggedIn, q.Ready)
	fmt.Fprintln(w, "#\tWAITED\tCALLER\tSTATE\tCALL-ID")
	for i, c := range d.Waiting {
		state := "waiting"
		switch {
		case c.Callback:
			state = "callback request"
		case c.Ringing:
			state = "ringing an agent"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", i+1, seconds(c.WaitedSeconds), dash(c.Caller), state, c.CallID)
	}
	fmt.Fprintln(w)
	agentTable(w, d.Agents)
	return nil
}

func (c *ctlClient) agents(ctx context.Context, w io.Writer) error {
	var as []acdserver.CtlAgent
	if err := c.do(ctx, http.MethodGet, "/agents", nil, &as); err != nil {
		return err
	}
	agentTable(w, as)
	return nil
}

func agentTable(w io.Writer, as []acdserver.CtlAgent) {
	fmt.Fprintln(w, "AGENT\tNAME\tSTATE\tREASON\tLOGGED IN TO\tPHONE\tCALLS")
	for _, a := range as {
		phone := "unregistered"
		switch {
		case a.Registered:
			phone = "registered"
		case a.Unreachable:
			phone = "unreachable" // registered, but not answering OPTIONS
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", a.ID, dash(a.Name), a.State, dash(a.Reason), dash(strings.Join(a.Queues, ",")), phone, a.Calls)
	}
}

func (c *ctlClient) calls(ctx context.Context, w io.Writer) error {
	var calls []acdserver.CtlCall
	if err := c.do(ctx, http.MethodGet, "/calls", nil, &calls); err != nil {
		return err
	}
	byID := map[string]acdserver.CtlCall{}
	for _, c := range calls {
		byID[c.ID] = c
	}
	fmt.Fprintln(w, "CALL-ID\tKIND\tNUMBER\tCALLER\tUP\tCODEC\tPEER\tSTATE")
	for _, c := range calls {
		var state []string
		switch {
		case c.Queue != "" && c.Ringing:
			state = append(state, "ringing an agent for "+c.Queue)
		case c.Queue != "":
			state = append(state, "waiting in "+c.Queue)
		}
		if other, ok := byID[c.BridgedTo]; ok {
			state = append(state, "talking to "+party(other))
		}
		if c.Held {
			state = append(state, "held")
		}
		if len(state) == 0 && c.Kind == "in" {
			state = append(state, "in the dial plan")
		}
		caller := c.Caller
		if c.CallerName != "" {
			caller = fmt.Sprintf("%s (%s)", c.Caller, c.CallerName)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.Number, dash(caller), seconds(c.UpSeconds), c.Codec, c.Peer, dash(strings.Join(state, ", ")))
	}
	return nil
}

// party names the far end of a call, as the other side of a bridge.
func party(c acdserver.CtlCall) string {
	switch c.Kind {
	case "in":
		return "caller " + c.Caller
	case "agent":
		return "agent " + c.Number
	}
	return "number " + c.Number
}

func (c *ctlClient) trace(ctx context.Context, w io.Writer, in acdserver.CtlTrace) error {
	var out acdserver.CtlTrace
	if err := c.do(ctx, http.MethodPut, "/sip/trace", in, &out); err != nil {
		return err
	}
	switch {
	case !out.On:
		fmt.Fprintln(w, "SIP trace off")
	case len(in.Peers) == 0 && in.On:
		fmt.Fprintln(w, "SIP trace on for every peer: every SIP message is written to the server's log in full")
	default:
		if !in.On {
			fmt.Fprint(w, "SIP trace back to the configuration's: ")
		} else {
			fmt.Fprint(w, "SIP trace on: ")
		}
		fmt.Fprintf(w, "messages to and from sources %s and users %s are written to the server's log in full\n",
			dash(strings.Join(out.Sources, ",")), dash(strings.Join(out.Users, ",")))
	}
	if out.Hidden {
		fmt.Fprintln(w, "warning: the server's log level hides the trace (it writes at info): set server.log_level to info or debug and restart")
	}
	return nil
}

// seconds shows a duration as people read a wait: 42s, 3m05s, 1h02m.
func seconds(s float64) string {
	d := time.Duration(s) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *ctlClient) trunks(ctx context.Context, w io.Writer) error {
	var ts []acdserver.CtlTrunk
	if err := c.do(ctx, http.MethodGet, "/trunks", nil, &ts); err != nil {
		return err
	}
	fmt.Fprintln(w, "TRUNK\tADDRESS\tREGISTRATION\tSINCE\tDETAIL")
	now := time.Now()
	for _, t := range ts {
		state, since, detail := "-", "-", "-"
		switch {
		case t.Registered:
			state, detail = "registered", fmt.Sprintf("expires %ds", t.ExpiresS)
		case t.Register:
			state, detail = "unregistered", dash(t.Error)
		}
		if !t.Since.IsZero() {
			since = now.Sub(t.Since).Round(time.Second).String()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Address, state, since, detail)
	}
	return nil
}
