package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ctlTrunk is one trunk as acd ctl trunks shows it: never its password.
type ctlTrunk struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// Register is false for a trunk that does not register; then the
	// fields after it are empty.
	Register   bool      `json:"register"`
	Registered bool      `json:"registered"`
	ExpiresS   int       `json:"expires_s,omitempty"`
	Error      string    `json:"error,omitempty"`
	Since      time.Time `json:"since,omitzero"`
}

func (h *ctlHandler) trunks(w http.ResponseWriter, r *http.Request) (any, int) {
	cfg := h.live.cfg()
	states := h.live.trunks.states()
	out := []ctlTrunk{}
	for _, name := range sortedKeys(cfg.Trunks) {
		t := ctlTrunk{Name: name, Address: cfg.Trunks[name].Address}
		if st, ok := states[name]; ok {
			t.Register, t.Registered, t.Error, t.Since = true, st.Registered, st.Error, st.Since
			t.ExpiresS = int(st.Expires.Seconds())
		}
		out = append(out, t)
	}
	return out, http.StatusOK
}

func (c *ctlClient) trunks(ctx context.Context, w io.Writer) error {
	var ts []ctlTrunk
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
