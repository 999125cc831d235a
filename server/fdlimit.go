package server

import "syscall"

// raiseFileLimit lifts the descriptor limit towards want: every call holds
// an RTP socket and every TCP client a connection, and a server out of
// descriptors cannot accept. Go already raises the soft limit to the hard
// one at start; a process allowed to (root, CAP_SYS_RESOURCE) may raise
// the hard limit too. It returns the limit in force.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want, nil
		}
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}
