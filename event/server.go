package event

import "strings"

// ServerStarted: the server started (or restarted) on this log.
type ServerStarted struct {
	Version string `json:"version"`
	Config  string `json:"config_version"`
}

func (ServerStarted) Kind() string { return "server.started" }

// ServerDraining: the server was asked to stop and takes no new calls.
type ServerDraining struct {
	Calls   int   `json:"calls" doc:"calls in progress"`
	LimitMS int64 `json:"limit_ms" doc:"how long they may go on"`
}

func (ServerDraining) Kind() string { return "server.draining" }

const auditPrefix = "audit."

// Audit: an action taken through the API, by its actor. The kind is
// "audit." and the action ("audit.user.create", "audit.agent.pause").
type Audit struct {
	Action string `json:"-"`
	Actor  Actor  `json:"actor"`
	// Detail holds the action's own fields: a state, a reason, a role.
	Detail map[string]string `json:"detail,omitempty"`
}

func (a Audit) Kind() string { return auditPrefix + strings.TrimPrefix(a.Action, auditPrefix) }
