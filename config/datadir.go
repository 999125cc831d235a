package config

import (
	"os"
	"strings"
)

// defaultDataDir is where the server keeps its records when data_dir is
// unset: the state directory systemd gives a unit with StateDirectory=
// (it says where in $STATE_DIRECTORY: /var/lib/acd for StateDirectory=acd),
// else ./data, beside whoever runs it. An installed server then needs no
// path of its own in the file, and cannot write elsewhere under
// ProtectSystem=strict anyway.
func defaultDataDir() string {
	// With several StateDirectory= entries systemd lists them all,
	// colon-separated, in order: the first is the server's.
	if dirs := os.Getenv("STATE_DIRECTORY"); dirs != "" {
		first, _, _ := strings.Cut(dirs, ":")
		return first
	}
	return "./data"
}
