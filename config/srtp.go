package config

import "sort"

// SRTP policies as the configuration spells them (see sip.SRTPPolicy):
// media.srtp is the policy of every phone without its own, an agent's
// srtp that of the agent's phone, a trunk's srtp that of the trunk.
const (
	SRTPOff      = "off"
	SRTPOptional = "optional"
	SRTPRequired = "required"
)

func validSRTP(s string) bool { return s == SRTPOff || s == SRTPOptional || s == SRTPRequired }

// DefaultSRTP is media.srtp: off when unset, so that a site that sets
// nothing sends plain RTP as before.
func (c *Config) DefaultSRTP() string {
	if c.Media.SRTP == "" {
		return SRTPOff
	}
	return c.Media.SRTP
}

// AgentSRTP is the policy of an agent's phone; an agent not in the file
// (or made through the API, which has no such field) has the default.
func (c *Config) AgentSRTP(id string) string {
	if a, ok := c.Agents[id]; ok && a.SRTP != "" {
		return a.SRTP
	}
	return c.DefaultSRTP()
}

// TrunkSRTP is the policy of a trunk, inbound and outbound.
func (c *Config) TrunkSRTP(name string) string {
	if t, ok := c.Trunks[name]; ok && t.SRTP != "" {
		return t.SRTP
	}
	return c.DefaultSRTP()
}

func (c *Config) validateSRTP(f string, errs *Errors) {
	const want = "want off, optional or required"
	if c.Media.SRTP != "" && !validSRTP(c.Media.SRTP) {
		errs.Add(f, int(c.Media.Line), "media.srtp %q: %s", c.Media.SRTP, want)
	}
	// In order, so that messages come out the same each time.
	ids := make([]string, 0, len(c.Agents))
	for id := range c.Agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if a := c.Agents[id]; a.SRTP != "" && !validSRTP(a.SRTP) {
			errs.Add(f, int(a.Line), "agent %q: srtp %q: %s", id, a.SRTP, want)
		}
	}
	names := make([]string, 0, len(c.Trunks))
	for name := range c.Trunks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if t := c.Trunks[name]; t.SRTP != "" && !validSRTP(t.SRTP) {
			errs.Add(f, int(t.Line), "trunk %q: srtp %q: %s", name, t.SRTP, want)
		}
	}
}
