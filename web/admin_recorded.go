package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/acdserver/acd/service"
)

// recordedData is the recorded messages page: every message with its
// versions, each playable, and the upload form.
type recordedData struct {
	Messages []recordedRow
	Upload   recordedForm
	CSRF     string
	// MaxLength is the longest message accepted, as the form says.
	MaxLength time.Duration
}

type recordedRow struct {
	Name     string
	Current  int
	Versions []recordedVersion
}

type recordedVersion struct {
	service.RecordedVersionView
	Audio   string // the API's address of the version's WAV
	Current bool
}

type recordedForm struct {
	form
	Name string
}

func (p *Pages) recordedPage() adminPage {
	return adminPage{name: "admin-recorded", title: "Recorded messages", path: "/admin/recorded-messages", need: service.ManageRecorded, data: p.recordedData}
}

func (p *Pages) recordedData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.RecordedMessages(r.Context(), s.actor)
	if err != nil {
		return nil, err
	}
	d := recordedData{CSRF: s.csrf(), MaxLength: p.svc.MaxRecordedLength(),
		Upload: recordedForm{form: newForm(s, f, "new", "/admin/recorded-messages", "Upload"), Name: f.value("new", "name", "")}}
	for _, m := range list {
		row := recordedRow{Name: m.Name, Current: m.Current}
		// Newest first: the one in force is usually the last uploaded.
		for i := len(m.Versions) - 1; i >= 0; i-- {
			v := m.Versions[i]
			row.Versions = append(row.Versions, recordedVersion{RecordedVersionView: v, Current: v.Version == m.Current,
				Audio: "/api/v1/recorded-messages/" + url.PathEscape(m.Name) + "/audio?version=" + strconv.Itoa(v.Version)})
		}
		d.Messages = append(d.Messages, row)
	}
	return d, nil
}

func (p *Pages) routesAdminRecorded(mux *http.ServeMux) {
	p.parseAdmin("admin-recorded")
	page := p.recordedPage()
	mux.Handle("GET "+page.path, p.page(page))
	mux.Handle("POST "+page.path, p.parseUpload(p.admin(page.need, func(w http.ResponseWriter, r *http.Request, s session) {
		data, err := uploadedFile(r)
		if err == nil {
			_, err = p.svc.UploadRecordedMessage(r.Context(), s.actor, r.PostFormValue("name"), data)
		}
		p.afterAdmin(w, r, s, page, "new", err)
	})))
	mux.Handle("POST "+page.path+"/{name}/delete", p.admin(page.need, p.confirmFirst(page.path, recordedNamed, func(w http.ResponseWriter, r *http.Request, s session) {
		p.afterAdmin(w, r, s, page, "", p.svc.DeleteRecordedMessage(r.Context(), s.actor, r.PathValue("name")))
	})))
}

func recordedNamed(r *http.Request) string {
	return "recorded message “" + r.PathValue("name") + "”"
}

// parseUpload reads the upload form, file included, into memory before
// anything asks for its fields: left to itself, net/http would keep a
// large file in a temporary file on disk. Nothing of the body is read
// before the user is known to be signed in and allowed to upload, and
// has one of the uploads in progress (the service bounds how many are
// held in memory at once). The body is already capped at the upload
// limit and the form's framing.
func (p *Pages) parseUpload(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media != "multipart/form-data" {
			next.ServeHTTP(w, r) // a form without its file: refused as such, once signed in
			return
		}
		s, ok := p.sessionOf(r)
		if !ok {
			http.Error(w, "sign in again: the session has ended", http.StatusUnauthorized)
			return
		}
		release, err := p.svc.BeginRecordedUpload(s.actor)
		if err != nil {
			status, msg := p.statusOf(r, err)
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "5")
			}
			http.Error(w, msg, status)
			return
		}
		defer release()
		if err := r.ParseMultipartForm(p.svc.MaxRecordedUpload() + 1<<20); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				http.Error(w, "the file is too large: a recorded message's file takes at most "+strconv.FormatInt(p.svc.MaxRecordedUpload(), 10)+" bytes", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "send the upload form as multipart/form-data: "+err.Error(), http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// uploadedFile is the form's file, as it was read into memory.
func uploadedFile(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, service.InvalidField("file", "choose a WAV, MP3 or Ogg Vorbis file")
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return data, nil
}
