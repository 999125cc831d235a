package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Percent is a share written as "80%" or 80 (a number is read as a
// percentage: 0.8 would be 0.8 %, which nobody means, so it is refused).
type Percent float64

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a percentage like 80%")
	}
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%"))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a percentage: write it like 80%%", n.Value)
	}
	if v > 0 && v < 1 && !strings.HasSuffix(strings.TrimSpace(n.Value), "%") {
		return fmt.Errorf("%q: write the percentage, like 80%%, not a fraction", n.Value)
	}
	if v <= 0 || v > 100 {
		return fmt.Errorf("%q: want a percentage above 0%% and at most 100%%", n.Value)
	}
	*p = Percent(v)
	return nil
}
