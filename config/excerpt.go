package config

import (
	"bytes"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// excerptSections are the sections whose objects the consoles show as
// the file writes them.
var excerptSections = []string{"queues", "agents", "dialplans", "trunks", "schedules"}

// hiddenValue stands for a secret in an excerpt.
const hiddenValue = "(set in the file, not shown)"

// excerpts encodes each object of the excerpt sections as YAML, by
// section and name; secrets (any key naming a password or secret) are
// replaced by hiddenValue. The tree is copied, never changed.
func excerpts(root *yaml.Node) map[string]map[string]string {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	out := map[string]map[string]string{}
	if doc.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		section, body := doc.Content[i].Value, doc.Content[i+1]
		if !slices.Contains(excerptSections, section) || body.Kind != yaml.MappingNode {
			continue
		}
		objects := map[string]string{}
		for j := 0; j+1 < len(body.Content); j += 2 {
			if text, ok := encodeHidden(body.Content[j+1]); ok {
				objects[body.Content[j].Value] = text
			}
		}
		out[section] = objects
	}
	return out
}

// encodeHidden writes a node as block YAML (flow mappings stay on one
// line, as written) with its secrets hidden.
func encodeHidden(n *yaml.Node) (string, bool) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(hideSecrets(n)); err != nil {
		return "", false
	}
	if err := enc.Close(); err != nil {
		return "", false
	}
	return buf.String(), true
}

// hideSecrets copies a node, the values of secret keys replaced.
func hideSecrets(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return hideSecrets(n.Alias)
	}
	c := *n
	c.Anchor = ""
	if len(n.Content) == 0 {
		return &c
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 1 && secretKey(n.Content[i-1].Value) {
			c.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: hiddenValue}
			continue
		}
		c.Content[i] = hideSecrets(child)
	}
	return &c
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "password") || strings.Contains(k, "secret")
}

// Excerpt is an object of the file as written there, under queues,
// agents, dialplans, trunks or schedules, its secrets hidden: what the
// consoles show of the objects they may not change.
func (c *Config) Excerpt(section, name string) (string, bool) {
	text, ok := c.excerpts[section][name]
	return text, ok
}
