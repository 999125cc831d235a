package server

import (
	"net/http"
	"time"
)

// CtlTrunk is one trunk as acd ctl trunks shows it: never its password.
type CtlTrunk struct {
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
	out := []CtlTrunk{}
	for _, name := range sortedKeys(cfg.Trunks) {
		t := CtlTrunk{Name: name, Address: cfg.Trunks[name].Address}
		if st, ok := states[name]; ok {
			t.Register, t.Registered, t.Error, t.Since = true, st.Registered, st.Error, st.Since
			t.ExpiresS = int(st.Expires.Seconds())
		}
		out = append(out, t)
	}
	return out, http.StatusOK
}
