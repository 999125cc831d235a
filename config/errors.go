package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a configuration file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Errors is every problem found in a configuration, in file order. It is
// what Load returns, so that an administrator fixes them all in one pass.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Add records a problem at a line.
func (es *Errors) Add(file string, line int, format string, args ...any) {
	*es = append(*es, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil when there are no problems, else the sorted list.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].File != es[j].File {
			return es[i].File < es[j].File
		}
		return es[i].Line < es[j].Line
	})
	return es
}
