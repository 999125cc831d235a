package acd

import (
	"slices"
	"sort"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
)

// Apply puts a new configuration's queues, agents and numbers in force
// while calls go on: new queues and agents are added (agents logged
// out), changed settings take effect from the next offer or wrap-up, and
// agents keep the queues they are logged in to. A queue the
// configuration dropped is kept until its last caller has left (calls
// in progress keep the dial plan that sent them there); an agent it
// dropped is logged out now, or when its call ends, and then forgotten.
func (c *Center) Apply(cfg *config.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyLocked(cfg, true)
	c.dispatch()
}

// applyLocked is Apply with c.mu held; announce logs what was added (not
// at start, where everything is).
func (c *Center) applyLocked(cfg *config.Config, announce bool) {
	c.numbers = cfg.Numbering.Plan()
	if on, declared, _ := cfg.UnassignedLogin(); declared {
		c.allowUnassigned = on // else it is the administrators': SetAllowUnassigned
	}
	c.planNumbers = cfg.Routes()
	for name, qc := range cfg.Queues {
		if q, ok := c.queues[name]; ok {
			q.cfg = qc
			delete(c.retiredQueues, name)
			continue
		}
		c.queues[name] = &queue{name: name, cfg: qc}
		if announce {
			c.log.Info("queue added", "queue", name)
		}
	}
	for name, q := range c.queues {
		if _, ok := cfg.Queues[name]; !ok && !c.retiredQueues[name] {
			c.retiredQueues[name] = true
			c.log.Info("queue removed from the configuration; it goes once its callers have left", "queue", name, "waiting", len(q.waiting))
			if len(q.waiting) == 0 {
				c.dropQueue(q)
			}
		}
	}
	c.orderQueues()

	for id, ac := range cfg.Agents {
		a, ok := c.agents[id]
		if !ok {
			a = &agent{id: id, queues: map[string]bool{}, since: c.now()}
			c.agents[id] = a
			if announce {
				c.log.Info("agent added", "agent", id)
			}
		}
		delete(c.retiredAgents, id)
		a.name = ac.Name
		a.assigned = map[string]bool{}
		for _, q := range ac.Queues {
			a.assigned[q] = true
		}
	}
	for id, a := range c.agents {
		if _, ok := cfg.Agents[id]; ok || c.retiredAgents[id] {
			continue
		}
		c.retiredAgents[id] = true
		c.log.Info("agent removed from the configuration: logged out, then forgotten", "agent", id, "state", a.state.String())
		c.logoutLocked(a, "removed", event.System())
		c.forgetIfRetired(a)
	}
	c.orderAgents()
}

// SetAllowUnassigned lets agents log in to queues not assigned to them,
// or stops it. Agents already logged in to such a queue keep it until
// they log out or a supervisor logs them out.
func (c *Center) SetAllowUnassigned(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allowUnassigned = on
}

// dropQueue forgets a retired queue once nobody waits in it; agents
// still logged in to it are logged out of it.
func (c *Center) dropQueue(q *queue) {
	if len(q.waiting) > 0 {
		return
	}
	for _, a := range slices.Clone(q.members) {
		c.leaveQueue(a, q.name, event.System())
		if len(a.queues) == 0 && a.state != OnCall {
			c.move(a, LoggedOut, change{cause: "queue-removed", by: event.System()})
		}
	}
	delete(c.queues, q.name)
	delete(c.retiredQueues, q.name)
	c.orderQueues()
	c.log.Info("queue gone", "queue", q.name)
}

// forgetIfRetired forgets a retired agent once it is logged out.
func (c *Center) forgetIfRetired(a *agent) {
	if !c.retiredAgents[a.id] || a.state != LoggedOut {
		return
	}
	delete(c.agents, a.id)
	delete(c.retiredAgents, a.id)
	c.orderAgents()
}

func (c *Center) orderQueues() {
	c.queueOrder = c.queueOrder[:0]
	for _, q := range c.queues {
		c.queueOrder = append(c.queueOrder, q)
	}
	sort.Slice(c.queueOrder, func(i, j int) bool {
		a, b := c.queueOrder[i], c.queueOrder[j]
		if a.cfg.Weight != b.cfg.Weight {
			return a.cfg.Weight > b.cfg.Weight
		}
		return a.name < b.name
	})
}

// orderAgents numbers agents in id order (the linear and round-robin
// strategies' order) and keeps each queue's members in it.
func (c *Center) orderAgents() {
	c.agentOrder = c.agentOrder[:0]
	for id := range c.agents {
		c.agentOrder = append(c.agentOrder, id)
	}
	sort.Strings(c.agentOrder)
	for i, id := range c.agentOrder {
		c.agents[id].order = i
	}
	for _, q := range c.queues {
		sort.Slice(q.members, func(i, j int) bool { return q.members[i].order < q.members[j].order })
	}
}
