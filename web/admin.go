package web

import "net/http"

// routesAdmin serves the administrator's console.
func (p *Pages) routesAdmin(mux *http.ServeMux) {
	p.routesDialplans(mux)
}
