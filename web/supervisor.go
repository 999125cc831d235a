package web

import "net/http"

// routesSupervisor serves the supervisor's queues, queue detail and
// wallboard.
func (p *Pages) routesSupervisor(mux *http.ServeMux) {}
