package web

import "net/http"

// routesDialplans serves the dial plan editor, its graph and the
// simulator.
func (p *Pages) routesDialplans(mux *http.ServeMux) {}
