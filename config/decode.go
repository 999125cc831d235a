package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// lineType marks a struct field that receives the line its value starts on.
var lineType = reflect.TypeFor[Line]()

// Line is the line a configuration item starts on, for error messages.
type Line int

var nodeType = reflect.TypeFor[yaml.Node]()

// retired marks a blank struct field (`_ retired`) whose yaml tag names a
// field that no longer exists and whose replaced tag says what took its
// place: an old file then gets that advice at the field's line instead of
// "unknown field".
type retired struct{}

var retiredType = reflect.TypeFor[retired]()

// decoder maps YAML onto Go values strictly: an unknown key is an error
// naming its line (so a typo like on_timout is never ignored), and it goes
// on after an error so that every problem is reported in one pass.
type decoder struct {
	file string
	errs *Errors
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.errs.Add(d.file, n.Line, format, args...)
}

// Decode fills v (a pointer) from n, reporting problems to errs; path
// names n in messages ("dialplans.main.nodes.menu"), empty at the top.
func Decode(file, path string, n *yaml.Node, v any, errs *Errors) {
	d := &decoder{file: file, errs: errs}
	d.decode(n, reflect.ValueOf(v).Elem(), path)
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
			if err := u.UnmarshalYAML(n); err != nil {
				d.fail(n, "%s: %v", path, err)
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		if n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.fail(n, "%s: want a mapping of names to values", path)
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := reflect.New(v.Type().Key()).Elem()
			if err := k.Decode(key.Addr().Interface()); err != nil {
				d.fail(k, "%s: bad key %q: %v", path, k.Value, err)
				continue
			}
			if v.MapIndex(key).IsValid() {
				d.fail(k, "%s: %q is defined twice", path, k.Value)
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, elem, join(path, k.Value))
			v.SetMapIndex(key, elem)
		}
	case reflect.Slice:
		if n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, "%s: want a list", path)
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, "%s: want a single value", path)
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n, "%s: %q is not a valid %s", path, n.Value, kindName(v.Kind()))
		}
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	fields := map[string]int{}
	replaced := map[string]string{}
	var known []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == lineType {
			v.Field(i).SetInt(int64(n.Line))
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Type == retiredType {
			replaced[name] = f.Tag.Get("replaced")
			continue
		}
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = i
		known = append(known, name)
	}
	if n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s: want a mapping with keys %s", orTop(path), strings.Join(known, ", "))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if advice, ok := replaced[k.Value]; ok {
			d.fail(k, "%s: field %q is no longer supported: %s", orTop(path), k.Value, advice)
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, "%s: unknown field %q (known: %s)", orTop(path), k.Value, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			d.fail(k, "%s: field %q is given twice", orTop(path), k.Value)
			continue
		}
		seen[k.Value] = true
		d.decode(val, v.Field(idx), join(path, k.Value))
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint16, reflect.Uint32:
		return "whole number"
	case reflect.String:
		return "string"
	}
	return k.String()
}
