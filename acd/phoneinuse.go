package acd

// PhoneInUse is told when the phone of SIP user agent is taken by
// something the distributor did not offer (a supervisor monitoring a call
// from it, whose desk phone is also an agent's), and when it is free
// again: meanwhile no offer rings it, so that a queue call does not ring
// over the monitored one. A phone that is no agent's is ignored.
func (c *Center) PhoneInUse(agent string, inUse bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[agent]
	if !ok {
		return
	}
	if inUse {
		a.inUse++
		return
	}
	if a.inUse > 0 {
		a.inUse--
	}
	if a.inUse == 0 {
		c.dispatch()
	}
}
