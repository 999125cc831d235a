package service

import "github.com/acdserver/acd/directory"

// PhoneActor is an agent acting on its own state from its own phone, by
// feature code: it may do what the agent may do signed in, and the
// distributor's events name its phone.
func PhoneActor(agent string) *Actor {
	return &Actor{UserID: agent, Role: directory.Agent, phone: true}
}
