//go:build !linux

package media

// The media loops use epoll and raw sockets: the server runs on Linux.
var _ = the_media_package_needs_linux
