package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Managed are the queues and agents created through the API, kept in the
// database: each one's YAML, as it would stand under queues: or agents:
// in the file. The file's own objects stay the file's: a managed object
// with the id of one of them is refused.
type Managed struct {
	Queues map[string]string
	Agents map[string]string
	// Dialplans hold each plan's YAML (entry and nodes) as uploaded;
	// Numbers, the dial plan each number routes to.
	Dialplans map[string]string
	Numbers   map[string]string
	Trunks    map[string]string
}

// PlanFile is how problems of an uploaded dial plan name it, in place of
// the configuration file: their lines are the upload's own.
func PlanFile(name string) string { return "dialplan " + name }

// ParseWith reads a configuration file together with the managed
// objects, and validates the whole as one configuration: a dial plan of
// the file may send callers to a managed queue, and a managed agent may
// belong to a queue of the file. Problems of the file keep their lines;
// those of managed objects are at line 0 (they have no line of their
// own) and name the object.
func ParseWith(file string, data []byte, m Managed) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || root.Kind == 0 || root.Content[0].Kind != yaml.MappingNode {
		return Parse(file, data) // Parse words the problem
	}
	var errs Errors
	doc := root.Content[0]
	for _, section := range []struct {
		key     string
		objects map[string]string
	}{{"queues", m.Queues}, {"agents", m.Agents}, {"dialplans", m.Dialplans}, {"numbers", m.Numbers}, {"trunks", m.Trunks}} {
		if len(section.objects) == 0 {
			continue
		}
		mapping := childMapping(doc, section.key)
		for _, id := range sortedIDs(section.objects) {
			if line := keyOf(mapping, id); line > 0 {
				errs.Add(file, 0, "%s.%s is declared in the file at line %d", section.key, id, line)
				continue
			}
			if section.key == "numbers" {
				mapping.Content = append(mapping.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: id},
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: section.objects[id]})
				continue
			}
			var body yaml.Node
			if err := yaml.Unmarshal([]byte(section.objects[id]), &body); err != nil || len(body.Content) == 0 {
				where, line := file, 0
				if section.key == "dialplans" {
					where, line = PlanFile(id), 1
				}
				errs.Add(where, line, "%s.%s: the definition is not readable YAML: %v", section.key, id, err)
				continue
			}
			value := body.Content[0]
			if section.key != "dialplans" {
				unline(value) // an uploaded plan keeps its lines: Relabel names it
			}
			mapping.Content = append(mapping.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: id}, value)
		}
	}
	return parseNode(file, &root, errs, &m)
}

// Digest is the managed objects in a stable text, for the version id of
// what is built from them with a file.
func (m Managed) Digest() []byte {
	if len(m.Queues)+len(m.Agents)+len(m.Dialplans)+len(m.Numbers)+len(m.Trunks) == 0 {
		return nil // a file alone keeps the version id it always had
	}
	var b []byte
	for _, section := range []map[string]string{m.Queues, m.Agents, m.Dialplans, m.Numbers, m.Trunks} {
		for _, id := range sortedIDs(section) {
			b = append(b, id...)
			b = append(b, 0)
			b = append(b, section[id]...)
			b = append(b, 0)
		}
		b = append(b, 1)
	}
	return b
}

// Relabel gives the problems of uploaded dial plans the plan's name in
// place of the file's, so that their lines (the upload's own) read right:
// "dialplan billing:4: ...". The file's problems are left as they are.
func (m Managed) Relabel(file string, err error) error {
	ce, ok := err.(Errors)
	if !ok || len(m.Dialplans) == 0 {
		return err
	}
	for _, e := range ce {
		if e.File != file {
			continue
		}
		for name := range m.Dialplans {
			if strings.HasPrefix(e.Msg, fmt.Sprintf("dial plan %q", name)) || strings.HasPrefix(e.Msg, "dialplans."+name+".") ||
				strings.HasPrefix(e.Msg, "dialplans."+name+":") {
				e.File = PlanFile(name)
			}
		}
	}
	return ce
}

// mark flags the managed objects of a decoded configuration.
func (m *Managed) mark(c *Config) {
	for id := range m.Queues {
		if q, ok := c.Queues[id]; ok && q.Line == 0 {
			q.Managed = true
		}
	}
	for id := range m.Agents {
		if a, ok := c.Agents[id]; ok && a.Line == 0 {
			a.Managed = true
		}
	}
	for id := range m.Trunks {
		if t, ok := c.Trunks[id]; ok && t.Line == 0 {
			t.Managed = true
		}
	}
}

func sortedIDs(m map[string]string) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// childMapping finds or makes the mapping under a top-level key.
func childMapping(doc *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == key {
			v := doc.Content[i+1]
			if v.Kind != yaml.MappingNode {
				*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line}
			}
			return v
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

func keyOf(mapping *yaml.Node, key string) int {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i].Line
		}
	}
	return 0
}

// unline gives a grafted node line 0, so that its problems are not
// reported at lines of the file it does not stand on.
func unline(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		unline(c)
	}
}

// FreeExtension is the first queue extension from 600 up that no number,
// agent or queue uses: what a new queue is offered.
func (c *Config) FreeExtension() string {
	used := map[string]bool{}
	for n := range c.Numbers {
		used[n] = true
	}
	for id := range c.Agents {
		used[id] = true
	}
	for _, q := range c.Queues {
		used[q.Extension] = true
	}
	for next := firstQueueExtension; ; next++ {
		if s := strconv.Itoa(next); !used[s] {
			return s
		}
	}
}

// Source says where a queue or agent is defined: FILE:LINE, or
// "database" for one made through the API.
func (c *Config) Source(line Line, managed bool) string {
	if managed {
		return "database"
	}
	return c.File + ":" + strconv.Itoa(int(line))
}
