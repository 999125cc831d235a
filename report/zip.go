package report

import (
	"archive/zip"
	"fmt"
	"io"
	"time"
)

// File is one file of an export archive: its name in the archive and
// what writes its content.
type File struct {
	Name  string
	Write func(io.Writer) error
	// Modified is the time archive tools show for it; zero leaves it out.
	Modified time.Time
}

// WriteZip writes the files, deflated, as one zip archive. Each file is
// streamed into the archive as it is written, so an export is never held
// twice in memory.
func WriteZip(w io.Writer, files []File) error {
	z := zip.NewWriter(w)
	for _, f := range files {
		fw, err := z.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		if err != nil {
			return fmt.Errorf("adding %s to the archive: %w", f.Name, err)
		}
		if err := f.Write(fw); err != nil {
			return fmt.Errorf("writing %s: %w", f.Name, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("finishing the archive: %w", err)
	}
	return nil
}
