// Package config loads and validates the server's YAML configuration. Every
// problem is reported with its file and line, all at once.
package config

import (
	"crypto/md5"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/numbering"
	"github.com/acdserver/acd/schedule"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultName is how the embedded default configuration is named in messages.
const DefaultName = "(embedded default)"

// Config is a whole, validated configuration.
type Config struct {
	Server    Server               `yaml:"server"`
	Media     Media                `yaml:"media"`
	Prompts   string               `yaml:"prompts_dir"`
	Numbers   map[string]Ref       `yaml:"numbers"`
	Queues    map[string]*Queue    `yaml:"queues"`
	Dialplans map[string]*Dialplan `yaml:"dialplans"`
	Agents    map[string]*Agent    `yaml:"agents"`
	Schedules map[string]*Schedule `yaml:"schedules"`
	Trunks    map[string]*Trunk    `yaml:"trunks"`
	Numbering Numbering            `yaml:"numbering"`
	// SIP bounds what SIP clients may hold: TCP connections, message rate.
	SIP SIP `yaml:"sip"`
	// PauseReasons are the reasons agents give when they pause (R-GEN-3).
	PauseReasons []string `yaml:"pause_reasons"`
	// Recordings: where call recordings are kept and for how long.
	Recordings Recordings `yaml:"recordings"`
	// AllowUnassignedLogin lets agents log in to queues they are not
	// assigned to. Absent, administrators set it through the API; set
	// here, it is the file's.
	AllowUnassignedLogin *bool  `yaml:"allow_unassigned_login"`
	SIPRealm             string `yaml:"sip_realm"`
	// SIPAuthAlgorithms are the digest algorithms challenged, in order of
	// preference (RFC 8760). Unset, MD5 alone: many phones give up on a
	// REGISTER when any challenge names an algorithm they do not know
	// (baresip 1.0.0 among them), and some read only the first.
	SIPAuthAlgorithms []string `yaml:"sip_auth_algorithms"`
	// MaxSteps ends a call that passes through this many dial-plan nodes
	// without waiting on the caller: a loop in the plan.
	MaxSteps int `yaml:"max_steps"`
	// RecordedMessages bounds the messages uploaded or recorded by phone.
	RecordedMessages RecordedMessages `yaml:"recorded_messages"`

	// File is where the configuration came from, for messages.
	File string `yaml:"-"`
	// pauseReasonLines are the lines of PauseReasons' items, for messages.
	pauseReasonLines []Line
	// unassignedLine is the line of allow_unassigned_login, when set (an
	// int: Decode fills every Line field with the node's own line).
	unassignedLine int
	// routes are Numbers compiled: exact numbers and patterns in order.
	routes *NumberRoutes
	// excerpts are the YAML of objects as written, for Excerpt.
	excerpts map[string]map[string]string
}

// UnassignedLogin says whether the file sets allow_unassigned_login, to
// what, and where (FILE:LINE).
func (c *Config) UnassignedLogin() (on, declared bool, source string) {
	if c.AllowUnassignedLogin == nil {
		return false, false, ""
	}
	return *c.AllowUnassignedLogin, true, fmt.Sprintf("%s:%d", c.File, c.unassignedLine)
}

// keyLine returns the line of a top-level key, 0 when absent.
func keyLine(root *yaml.Node, key string) Line {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == key {
			return Line(doc.Content[i].Line)
		}
	}
	return 0
}

// itemLines returns the line of each item of the sequence under a
// top-level key.
func itemLines(root *yaml.Node, key string) []Line {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == key && doc.Content[i+1].Kind == yaml.SequenceNode {
			var lines []Line
			for _, item := range doc.Content[i+1].Content {
				lines = append(lines, Line(item.Line))
			}
			return lines
		}
	}
	return nil
}

// Server holds listening addresses and local paths.
type Server struct {
	SIP           string `yaml:"sip"`
	HTTP          string `yaml:"http"`
	RTPPorts      string `yaml:"rtp_ports"`
	DataDir       string `yaml:"data_dir"`
	PublicAddress string `yaml:"public_address"`
	// LocalNetworks are reached directly: public_address is advertised
	// only to peers outside them.
	LocalNetworks []string `yaml:"local_networks"`
	LogLevel      string   `yaml:"log_level"`
	// LogFormat is text (slog's key=value) or json, one object a line.
	LogFormat string `yaml:"log_format"`
	// MaxCalls caps inbound calls in progress (503 past it).
	MaxCalls int `yaml:"max_calls"`
	// DrainTimeout is how long a stopping server lets calls in progress
	// finish, refusing new ones, before it hangs up the rest.
	DrainTimeout Duration `yaml:"drain_timeout"`
	// SIPTLS is the address of SIP over TLS; unset, none (config/tls.go).
	SIPTLS string `yaml:"sip_tls"`
	// HTTPTLS serves the HTTP listener as HTTPS, with TLS's certificate.
	HTTPTLS bool `yaml:"http_tls"`
	// PlainHTTPBeyondLoopback allows plain HTTP on an address other than
	// loopback, for a site whose own proxy gives it TLS.
	PlainHTTPBeyondLoopback bool `yaml:"plain_http_beyond_loopback"`
	TLS                     *TLS `yaml:"tls"`
	// HTTPHosts are the host names the HTTP server answers to besides
	// loopback's (see HTTPHostNames).
	HTTPHosts []string `yaml:"http_hosts"`
	// HTTPLimits bound HTTP clients (config/httplimits.go).
	HTTPLimits HTTPLimits `yaml:"http_limits"`
	Line       Line
}

// defaultLocalNetworks are the private, loopback and link-local ranges: a
// phone there is on the LAN, not behind the NAT that public_address is for.
var defaultLocalNetworks = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
	"::1/128", "fc00::/7", "fe80::/10"}

// LocalPrefixes are LocalNetworks parsed (validated at load).
func (s Server) LocalPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, cidr := range s.LocalNetworks {
		if p, err := netip.ParsePrefix(cidr); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Media holds RTP settings.
type Media struct {
	// Timeout ends a call whose peer sends no RTP for this long.
	Timeout Duration `yaml:"rtp_timeout"`
	// HoldTimeout replaces Timeout while the peer has put us on hold.
	HoldTimeout Duration `yaml:"rtp_hold_timeout"`
	// RawSend is auto, on or off: whether RTP goes out through one raw
	// socket per core (batched, needs CAP_NET_RAW) or each call's socket.
	RawSend string `yaml:"raw_send"`
	// SRTP is the SRTP policy of phones without their own: see srtp.go.
	SRTP string `yaml:"srtp"`
	Line Line
}

// Ref is a name that refers to another part of the configuration, with the
// line it was written on.
type Ref struct {
	Name string
	Line Line
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *Ref) UnmarshalYAML(n *yaml.Node) error {
	r.Line = Line(n.Line)
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		return fmt.Errorf("want a name")
	}
	r.Name = n.Value
	return nil
}

// Queue is a call queue.
type Queue struct {
	Name          string   `yaml:"name"`
	Extension     string   `yaml:"extension"`
	Type          string   `yaml:"type"`
	Strategy      string   `yaml:"strategy"`
	RingTimeout   Duration `yaml:"ring_timeout"`
	MaxNoAnswer   int      `yaml:"max_no_answer"`
	WrapUp        Duration `yaml:"wrap_up"`
	EndWrapUp     bool     `yaml:"end_wrap_up"`
	Weight        int      `yaml:"weight"`
	HoldMusic     string   `yaml:"hold_music"`
	AnnounceEvery Duration `yaml:"announce_every"`
	// Announcement is what plays every AnnounceEvery: a prompt or a
	// recorded message.
	Announcement string    `yaml:"announcement"`
	Callback     *Callback `yaml:"callback"`
	// ServiceLevel is the reports' service level: callers answered
	// within Threshold, and the share of them to aim for.
	ServiceLevel *ServiceLevel `yaml:"service_level"`
	// ShortAbandon: callers who hang up having waited less are short
	// abandons, which the reports leave out of the service level and the
	// abandon rate; unset (0): off.
	ShortAbandon Duration `yaml:"short_abandon"`
	// Recording: whether the queue's calls are recorded (recording.go).
	Recording RecordingMode `yaml:"recording"`
	Line      Line
	// Managed: made through the API and kept in the database.
	Managed bool `yaml:"-"`
}

// ServiceLevel is a queue's service-level objective.
type ServiceLevel struct {
	Threshold Duration `yaml:"threshold"`
	Target    Percent  `yaml:"target"`
	Line      Line
}

// Service-level defaults: the "80/20" most centres start from.
const (
	DefaultServiceThreshold = 20 * time.Second
	DefaultServiceTarget    = Percent(80)
)

// ServiceLevelOf is the queue's service level with the defaults filled
// in: the threshold, and the target as a fraction (0.8).
func (q *Queue) ServiceLevelOf() (threshold time.Duration, target float64) {
	threshold, target = DefaultServiceThreshold, float64(DefaultServiceTarget)/100
	if sl := q.ServiceLevel; sl != nil {
		if sl.Threshold > 0 {
			threshold = sl.Threshold.D()
		}
		if sl.Target > 0 {
			target = float64(sl.Target) / 100
		}
	}
	return threshold, target
}

// Callback is a queue's callback setting (R-CB-1..6).
type Callback struct {
	Enabled bool `yaml:"enabled"`
	// Threshold: callback is offered when the queue's average wait over
	// the last 15 minutes exceeds it.
	Threshold          *Duration `yaml:"threshold"`
	CallerID           string    `yaml:"caller_id"`
	Trunk              string    `yaml:"trunk"`
	AllowedNumberTypes []string  `yaml:"allowed_number_types"`
	Attempts           int       `yaml:"attempts"`
	RetryAfter         Duration  `yaml:"retry_after"`
	// DialTimeout bounds one attempt to reach the customer, from the
	// INVITE to the answer; the agent hears a prompt meanwhile.
	DialTimeout Duration `yaml:"dial_timeout"`
	Line        Line
}

// DialTimeoutD is the bound of one attempt to reach the customer.
func (cb *Callback) DialTimeoutD() time.Duration {
	if cb.DialTimeout <= 0 {
		return 30 * time.Second
	}
	return cb.DialTimeout.D()
}

// ThresholdD is the threshold as a time.Duration (0 when unset).
func (cb *Callback) ThresholdD() time.Duration {
	if cb.Threshold == nil {
		return 0
	}
	return cb.Threshold.D()
}

// Trunk is a SIP gateway the server dials out through.
type Trunk struct {
	// Address is IP:PORT, HOST:PORT or a domain resolved by RFC 3263
	// (config/trunk.go).
	Address     string   `yaml:"address"`
	Username    string   `yaml:"username"`
	Password    string   `yaml:"password"`
	InboundFrom []string `yaml:"inbound_from"`
	// Outbound registration and caller ID: see config/trunk.go.
	Register        bool           `yaml:"register"`
	Registrar       string         `yaml:"registrar"`
	RegisterExpires Duration       `yaml:"register_expires"`
	ContactUser     string         `yaml:"contact_user"`
	RegisterRetry   *RegisterRetry `yaml:"register_retry"`
	CallerID        *TrunkCallerID `yaml:"caller_id"`
	// Transport is udp (the default), tcp or tls; a sips: address or one
	// with ;transport=tls says tls too (config/trunktls.go).
	Transport string `yaml:"transport"`
	SRTP      string `yaml:"srtp"` // "" is media.srtp's
	Line      Line
	// Managed: made through the API and kept in the database.
	Managed bool `yaml:"-"`
}

// Numbering says where the server dials from, so that numbers are read
// and classified by that country's numbering plan.
type Numbering struct {
	// Region is the ISO 3166-1 code of the country the server dials from.
	Region string `yaml:"region"`
	// NationalRegions are billed as national from Region; any other
	// region, even one sharing its country code, is international.
	NationalRegions []string `yaml:"national_regions"`
	// Emergency lists emergency numbers beyond those the plan knows.
	Emergency []string `yaml:"emergency"`
	// LocalPrefixes: national numbers starting with one are local.
	LocalPrefixes []string `yaml:"local_prefixes"`
	Line          Line

	// The hand-written plan this section once held could not tell the
	// countries sharing +1 apart; a file still using it must be told what
	// replaced each field rather than have it ignored or called unknown.
	_ retired `yaml:"country_code" replaced:"set region to the country's ISO 3166 code (like US), whose plan brings the country code"`
	_ retired `yaml:"national_prefix" replaced:"set region (like US), whose plan brings the national prefix"`
	_ retired `yaml:"international_prefix" replaced:"set region (like US), whose plan brings the international prefix"`
	_ retired `yaml:"national_length" replaced:"set region (like US), whose plan brings the valid number lengths"`
	_ retired `yaml:"toll_free" replaced:"set region (like US), whose plan knows the toll-free numbers"`
	_ retired `yaml:"premium" replaced:"set region (like US), whose plan knows the premium-rate and shared-cost numbers"`
	_ retired `yaml:"local_area_codes" replaced:"use local_prefixes (prefixes of the national number, like \"415\")"`
}

// Plan returns the dialling rules as a numbering.Plan.
func (n Numbering) Plan() *numbering.Plan {
	return &numbering.Plan{Region: n.Region, NationalRegions: n.NationalRegions, Emergency: n.Emergency, LocalPrefixes: n.LocalPrefixes}
}

// Dialplan is a graph of nodes; the dialplan package compiles the nodes,
// whose fields depend on their type.
type Dialplan struct {
	Entry string               `yaml:"entry"`
	Nodes map[string]yaml.Node `yaml:"nodes"`
	Line  Line
}

// Schedule is a weekly timetable with holidays, in its own time zone.
type Schedule struct {
	Timezone string            `yaml:"timezone"`
	Hours    map[string]string `yaml:"hours"`
	Holidays []string          `yaml:"holidays"`
	Line     Line

	compiled *schedule.Schedule
}

// Compiled is the checked timetable; nil when the configuration had errors.
func (s *Schedule) Compiled() *schedule.Schedule { return s.compiled }

// Agent is a person who takes calls from a phone registered as the agent's id.
type Agent struct {
	Name         string   `yaml:"name"`
	Password     string   `yaml:"password"`
	PasswordHash string   `yaml:"password_hash"`
	Queues       []string `yaml:"queues"`
	SRTP         string   `yaml:"srtp"` // of the agent's phone; "" is media.srtp's
	Line         Line
	// Managed: made through the API and kept in the database.
	Managed bool `yaml:"-"`
}

// Default returns the embedded default configuration.
func Default() (*Config, error) { return Parse(DefaultName, defaultYAML) }

// DefaultSource is the text of the embedded default configuration.
func DefaultSource() []byte { return append([]byte(nil), defaultYAML...) }

// Parse decodes and validates YAML. The error, if any, is Errors. When the
// YAML itself is well formed the decoded configuration is returned even
// with errors, so that later stages can report their problems too.
func Parse(file string, data []byte) (*Config, error) {
	var errs Errors
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 1
		msg := err.Error()
		// yaml.v3 says "yaml: line N: ..."; keep the line, drop the prefix.
		if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
			if n, tail, ok := strings.Cut(rest, ": "); ok {
				if v, err := strconv.Atoi(n); err == nil {
					line, msg = v, tail
				}
			}
		}
		errs.Add(file, line, "YAML syntax: %s", msg)
		return nil, errs.Err()
	}
	if root.Kind == 0 {
		errs.Add(file, 1, "the file is empty")
		return nil, errs.Err()
	}
	return parseNode(file, &root, errs, nil)
}

// parseNode decodes, completes and validates a parsed file, with extra
// (managed) objects already grafted into the tree; errs holds what was
// found so far.
func parseNode(file string, root *yaml.Node, errs Errors, managed *Managed) (*Config, error) {
	c := &Config{File: file}
	Decode(file, "", root, c, &errs)
	if managed != nil {
		managed.mark(c)
	}
	c.pauseReasonLines = itemLines(root, "pause_reasons")
	c.unassignedLine = int(keyLine(root, "allow_unassigned_login"))
	c.excerpts = excerpts(root)
	c.applyDefaults()
	c.validate(&errs)
	return c, errs.Err()
}

func (c *Config) applyDefaults() {
	s := &c.Server
	if s.SIP == "" {
		s.SIP = "127.0.0.1:5060"
	}
	if s.HTTP == "" {
		s.HTTP = "127.0.0.1:8080"
	}
	if s.RTPPorts == "" {
		s.RTPPorts = "10000-20000"
	}
	if s.DataDir == "" {
		s.DataDir = defaultDataDir()
	}
	if s.LogLevel == "" {
		s.LogLevel = "info"
	}
	if s.LogFormat == "" {
		s.LogFormat = "text"
	}
	if s.MaxCalls == 0 {
		s.MaxCalls = 2000
	}
	if s.DrainTimeout == 0 {
		s.DrainTimeout = Duration(time.Minute)
	}
	s.HTTPLimits.applyDefaults()
	if s.LocalNetworks == nil {
		s.LocalNetworks = append([]string(nil), defaultLocalNetworks...)
	}
	if c.Media.Timeout == 0 {
		c.Media.Timeout = Duration(60 * time.Second)
	}
	if c.Media.HoldTimeout == 0 {
		c.Media.HoldTimeout = Duration(10 * time.Minute)
	}
	if c.Media.RawSend == "" {
		c.Media.RawSend = "auto"
	}
	if c.SIPRealm == "" {
		c.SIPRealm = "acd.local"
	}
	if len(c.SIPAuthAlgorithms) == 0 {
		c.SIPAuthAlgorithms = []string{"MD5"}
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = 100
	}
	c.assignExtensions()
	c.SIP.applyDefaults()
	n := &c.Numbering
	if n.Region == "" {
		n.Region = "US"
	}
	n.Region = strings.ToUpper(n.Region)
	for i, r := range n.NationalRegions {
		n.NationalRegions[i] = strings.ToUpper(r)
	}
	if n.NationalRegions == nil {
		n.NationalRegions = numbering.DefaultNationalRegions(n.Region)
	}
	if n.Emergency == nil && n.Region == "US" {
		// The address-check number of US carriers, which the plan's
		// short-number data does not hold.
		n.Emergency = []string{"933"}
	}
	for _, q := range c.Queues {
		if cb := q.Callback; cb != nil {
			if cb.Attempts == 0 {
				cb.Attempts = 3
			}
			if cb.RetryAfter == 0 {
				cb.RetryAfter = Duration(2 * time.Minute)
			}
			if cb.DialTimeout == 0 {
				cb.DialTimeout = Duration(30 * time.Second)
			}
			if cb.AllowedNumberTypes == nil {
				cb.AllowedNumberTypes = []string{"local", "national", "toll_free"}
			}
		}
		if q.Type == "" {
			q.Type = "standard"
		}
		if q.ServiceLevel == nil {
			q.ServiceLevel = &ServiceLevel{Line: q.Line}
		}
		if q.ServiceLevel.Threshold == 0 {
			q.ServiceLevel.Threshold = Duration(DefaultServiceThreshold)
		}
		if q.ServiceLevel.Target == 0 {
			q.ServiceLevel.Target = DefaultServiceTarget
		}
		if q.Strategy == "" {
			q.Strategy = "longest-idle"
		}
		if q.RingTimeout == 0 {
			q.RingTimeout = Duration(15 * time.Second)
		}
		if q.MaxNoAnswer == 0 {
			q.MaxNoAnswer = 3
		}
		if q.HoldMusic == "" {
			q.HoldMusic = "hold-music"
		}
		if q.AnnounceEvery == 0 {
			q.AnnounceEvery = Duration(45 * time.Second)
		}
		if q.Announcement == "" {
			q.Announcement = "please-hold"
		}
	}
}

// RTPPortRange returns the parsed rtp_ports setting.
func (s *Server) RTPPortRange() (low, high int, err error) {
	lo, hi, ok := strings.Cut(s.RTPPorts, "-")
	if ok {
		low, err = strconv.Atoi(strings.TrimSpace(lo))
		if err == nil {
			high, err = strconv.Atoi(strings.TrimSpace(hi))
		}
	}
	if !ok || err != nil || low < 1024 || high > 65534 || high-low < 2 {
		return 0, 0, fmt.Errorf("rtp_ports %q: want LOW-HIGH, like 10000-20000, within 1024-65534", s.RTPPorts)
	}
	return low, high, nil
}

var strategies = map[string]bool{
	"longest-idle": true, "round-robin": true, "ring-all": true,
	"fewest-calls": true, "linear": true, "random": true,
}

func (c *Config) validate(errs *Errors) {
	f := c.File
	s := &c.Server
	for _, a := range []struct{ name, v string }{{"sip", s.SIP}, {"http", s.HTTP}} {
		if _, err := netip.ParseAddrPort(a.v); err != nil {
			errs.Add(f, int(s.Line), "server.%s %q: want IP:PORT, like 127.0.0.1:5060", a.name, a.v)
		}
	}
	if _, _, err := s.RTPPortRange(); err != nil {
		errs.Add(f, int(s.Line), "server.%v", err)
	}
	s.validateTLS(f, errs)
	if s.PublicAddress != "" {
		if _, err := netip.ParseAddr(s.PublicAddress); err != nil {
			errs.Add(f, int(s.Line), "server.public_address %q: want an IP address", s.PublicAddress)
		}
	}
	for _, cidr := range s.LocalNetworks {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs.Add(f, int(s.Line), "server.local_networks: %q: want a prefix like 192.168.0.0/16", cidr)
		}
	}
	if s.MaxCalls < 0 {
		errs.Add(f, int(s.Line), "server.max_calls %d: want a positive number of calls", s.MaxCalls)
	}
	s.HTTPLimits.validate(f, errs)
	validateHTTPHosts(s, f, errs)
	if low, high, err := s.RTPPortRange(); err == nil && s.MaxCalls > (high-low)/2 {
		errs.Add(f, int(s.Line), "server.max_calls %d: rtp_ports %s holds only %d calls (one even port each, and agents' legs need ports too): widen rtp_ports or lower max_calls",
			s.MaxCalls, s.RTPPorts, (high-low)/2)
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs.Add(f, int(s.Line), "server.log_level %q: want debug, info, warn or error", s.LogLevel)
	}
	if s.LogFormat != "text" && s.LogFormat != "json" {
		errs.Add(f, int(s.Line), "server.log_format %q: want text or json", s.LogFormat)
	}
	switch c.Media.RawSend {
	case "auto", "on", "off":
	default:
		errs.Add(f, int(c.Media.Line), "media.raw_send %q: want auto, on or off", c.Media.RawSend)
	}
	if c.MaxSteps < 0 {
		errs.Add(f, 1, "max_steps must be positive")
	}
	c.RecordedMessages.validate(f, errs)
	for num, ref := range c.Numbers {
		if _, ok := c.Dialplans[ref.Name]; !ok {
			errs.Add(f, int(ref.Line), "number %q routes to dial plan %q, which does not exist", num, ref.Name)
		}
		if err := CheckNumberKey(num); err != nil {
			errs.Add(f, int(ref.Line), "number %q: %v", num, err)
		}
	}
	c.routes = NewNumberRoutes(c.Numbers)
	exts := map[string]string{}
	c.Numbering.validate(f, errs)
	for name, q := range c.Queues {
		if q.Type != "standard" && q.Type != "icr" {
			errs.Add(f, int(q.Line), "queue %q: type %q: want standard or icr", name, q.Type)
		}
		if sl := q.ServiceLevel; sl != nil && (sl.Target <= 0 || sl.Target > 100) {
			errs.Add(f, int(sl.Line), "queue %q: service_level.target %v%%: want a share of callers above 0%% and at most 100%%, like 80%%", name, float64(sl.Target))
		}
		if !strategies[q.Strategy] {
			errs.Add(f, int(q.Line), "queue %q: strategy %q: want longest-idle, round-robin, ring-all, fewest-calls, linear or random", name, q.Strategy)
		}
		if cb := q.Callback; cb != nil && cb.Enabled {
			line := int(cb.Line)
			if cb.Threshold == nil {
				errs.Add(f, line, "queue %q: callback.threshold is missing: the average wait (like 2m) above which callback is offered", name)
			}
			if _, ok := c.Trunks[cb.Trunk]; !ok {
				errs.Add(f, line, "queue %q: callback.trunk %q does not exist in trunks", name, cb.Trunk)
			}
			if cb.CallerID == "" {
				errs.Add(f, line, "queue %q: callback.caller_id is missing: the number customers see", name)
			} else if e164, err := CallerIDNumber(c.Numbering.Plan(), cb.CallerID); err != nil {
				errs.Add(f, line, "queue %q: callback.caller_id %v", name, err)
			} else {
				cb.CallerID = e164
			}
			if cb.Attempts < 1 {
				errs.Add(f, line, "queue %q: callback.attempts must be at least 1", name)
			}
			for _, t := range cb.AllowedNumberTypes {
				switch numbering.Type(t) {
				case numbering.Local, numbering.National, numbering.TollFree, numbering.Premium, numbering.International:
				case numbering.Emergency:
					errs.Add(f, line, "queue %q: callback.allowed_number_types: emergency numbers are never called back", name)
				default:
					errs.Add(f, line, "queue %q: callback.allowed_number_types: %q: want local, national, toll_free, premium or international", name, t)
				}
			}
		}
		if q.MaxNoAnswer < 0 {
			errs.Add(f, int(q.Line), "queue %q: max_no_answer must not be negative", name)
		}
		if q.Extension != "" {
			if other, dup := exts[q.Extension]; dup {
				errs.Add(f, int(q.Line), "queue %q: extension %s is already queue %q's", name, q.Extension, other)
			}
			exts[q.Extension] = name
		}
	}
	for id, a := range c.Agents {
		if a.Password == "" && a.PasswordHash == "" {
			errs.Add(f, int(a.Line), "agent %q: set password or password_hash", id)
		}
		if a.PasswordHash != "" && !validHA1(a.PasswordHash) {
			errs.Add(f, int(a.Line), "agent %q: password_hash: want md5: and the 32 hex digits of MD5(%s:%s:password), sha256: and the 64 of SHA-256(%s:%s:password), or both with a space between", id, id, c.SIPRealm, id, c.SIPRealm)
		}
		for _, q := range a.Queues {
			if _, ok := c.Queues[q]; !ok {
				errs.Add(f, int(a.Line), "agent %q: queue %q does not exist", id, q)
			}
		}
	}
	for name, sc := range c.Schedules {
		compiled, problems := schedule.Compile(schedule.Spec{Timezone: sc.Timezone, Hours: sc.Hours, Holidays: sc.Holidays})
		for _, p := range problems {
			errs.Add(f, int(sc.Line), "schedule %q: %v", name, p)
		}
		if len(problems) == 0 {
			sc.compiled = compiled
		}
	}
	for name, t := range c.Trunks {
		c.validateTrunkTarget(name, t, errs)
		t.validate(f, name, c.Numbering.Plan(), errs)
	}
	c.SIP.validate(f, errs)
	c.validateSRTP(f, errs)
	for _, alg := range c.SIPAuthAlgorithms {
		if alg != "SHA-256" && alg != "MD5" {
			errs.Add(f, 1, "sip_auth_algorithms: %q: want SHA-256 or MD5", alg)
		}
	}
	if c.Server.beyondLoopback() {
		for _, id := range c.demoAgents() {
			errs.Add(f, int(c.Agents[id].Line), "agent %q: a demo password is refused while server.sip or server.http listens beyond loopback: give the agent a password of its own", id)
		}
	}
	seenReason := map[string]bool{}
	for i, r := range c.PauseReasons {
		line := 1
		if i < len(c.pauseReasonLines) {
			line = int(c.pauseReasonLines[i])
		}
		if err := CheckPauseReason(r); err != nil {
			errs.Add(f, line, "pause_reasons: %v", err)
		}
		if seenReason[NameKey(r)] {
			errs.Add(f, line, "pause_reasons: %q is given twice (names are compared without case)", r)
		}
		seenReason[NameKey(r)] = true
	}
	for name, d := range c.Dialplans {
		if d.Entry == "" {
			errs.Add(f, int(d.Line), "dial plan %q: entry is missing: name the first node", name)
		}
	}
}

func (n *Numbering) validate(f string, errs *Errors) {
	line := int(n.Line)
	if line == 0 {
		line = 1
	}
	if !numbering.KnownRegion(n.Region) {
		errs.Add(f, line, "numbering.region %q: want an ISO 3166 country code with a numbering plan, like US, CA or GB", n.Region)
	}
	for _, r := range n.NationalRegions {
		if !numbering.KnownRegion(r) {
			errs.Add(f, line, "numbering.national_regions: %q: want an ISO 3166 country code with a numbering plan, like US or CA", r)
		}
	}
	if !slices.Contains(n.NationalRegions, n.Region) {
		errs.Add(f, line, "numbering.national_regions %v leaves out the region itself, %s: its own numbers would be international", n.NationalRegions, n.Region)
	}
	for _, e := range n.Emergency {
		if !allDigits(e) {
			errs.Add(f, line, "numbering.emergency: %q: want the digits dialled, like \"911\"", e)
		}
	}
	for _, p := range n.LocalPrefixes {
		if !allDigits(p) {
			errs.Add(f, line, "numbering.local_prefixes: %q: want digits that start the national number, like \"415\"", p)
		}
	}
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// validHA1 reports whether a password_hash is "md5:HEX", "sha256:HEX" or
// both, space-separated: the digests H(id:realm:password) that phones
// answering MD5 or SHA-256 challenges are checked against.
func validHA1(h string) bool {
	parts := strings.Fields(h)
	if len(parts) == 0 || len(parts) > 2 {
		return false
	}
	seen := map[string]bool{}
	for _, p := range parts {
		alg, hash, ok := strings.Cut(p, ":")
		want := map[string]int{"md5": 32, "sha256": 64}[alg]
		if !ok || want == 0 || len(hash) != want || seen[alg] {
			return false
		}
		if _, err := hex.DecodeString(hash); err != nil {
			return false
		}
		seen[alg] = true
	}
	return true
}

// beyondLoopback reports whether the server listens on an address other
// than loopback (a wildcard included).
func (s Server) beyondLoopback() bool {
	for _, a := range []string{s.SIP, s.HTTP, s.SIPTLS} {
		if ap, err := netip.ParseAddrPort(a); err == nil && !ap.Addr().IsLoopback() {
			return true
		}
	}
	return false
}

// DemoCredentials reports whether any agent has a demo password: one the
// embedded default configuration ships with, on any agent, as a password or
// as the agent's digest hash of it, or any password of the demo form
// "demo-…", which anyone who read the default can guess. Acceptable on
// loopback only.
func (c *Config) DemoCredentials() bool { return len(c.demoAgents()) > 0 }

// demoAgents lists the agents with a demo password.
func (c *Config) demoAgents() []string {
	def, err := Parse(DefaultName, defaultYAML)
	if err != nil {
		return nil
	}
	demo := map[string]bool{}
	for _, a := range def.Agents {
		if a.Password != "" {
			demo[a.Password] = true
		}
	}
	var out []string
	for id, a := range c.Agents {
		if demo[a.Password] || strings.HasPrefix(strings.ToLower(a.Password), "demo-") {
			out = append(out, id)
			continue
		}
		for _, part := range strings.Fields(a.PasswordHash) {
			hash, ok := strings.CutPrefix(part, "md5:")
			if !ok {
				continue
			}
			for pw := range demo {
				sum := md5.Sum([]byte(id + ":" + c.SIPRealm + ":" + pw))
				if strings.EqualFold(hash, hex.EncodeToString(sum[:])) {
					out = append(out, id)
					break
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// firstQueueExtension is where automatic queue extensions start.
const firstQueueExtension = 600

// assignExtensions gives each queue without an extension the next free
// one from 600 up, in queue-name order (R-Q-1), skipping extensions that
// numbers, agents or other queues already use.
func (c *Config) assignExtensions() {
	used := map[string]bool{}
	for n := range c.Numbers {
		used[n] = true
	}
	for id := range c.Agents {
		used[id] = true
	}
	var names []string
	for name, q := range c.Queues {
		if q.Extension != "" {
			used[q.Extension] = true
		} else {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	next := firstQueueExtension
	for _, name := range names {
		for used[strconv.Itoa(next)] {
			next++
		}
		c.Queues[name].Extension = strconv.Itoa(next)
		used[c.Queues[name].Extension] = true
	}
}

// NextQueueExtension proposes the extension a new queue would get.
func (c *Config) NextQueueExtension() string {
	probe := &Config{Numbers: c.Numbers, Agents: c.Agents, Queues: map[string]*Queue{"\x00new": {}}}
	for k, v := range c.Queues {
		probe.Queues[k] = v
	}
	probe.assignExtensions()
	return probe.Queues["\x00new"].Extension
}
