package config

import "testing"

// TestDataDirFromSystemd: unset, data_dir is systemd's state directory
// when the server runs under StateDirectory=, and ./data otherwise; set,
// it wins. Not parallel: it sets the environment.
func TestDataDirFromSystemd(t *testing.T) {
	for _, tt := range []struct {
		name, env, yaml, want string
	}{
		{"outside systemd", "", "max_steps: 10\n", "./data"},
		{"StateDirectory=acd", "/var/lib/acd", "max_steps: 10\n", "/var/lib/acd"},
		{"several state directories", "/var/lib/acd:/var/lib/acd-spool", "max_steps: 10\n", "/var/lib/acd"},
		{"data_dir set", "/var/lib/acd", "server: {data_dir: /srv/acd}\n", "/srv/acd"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("STATE_DIRECTORY", tt.env)
			c, err := Parse("t.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if c.Server.DataDir != tt.want {
				t.Fatalf("data_dir %q, want %q", c.Server.DataDir, tt.want)
			}
		})
	}
	t.Setenv("STATE_DIRECTORY", "/var/lib/acd")
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.DataDir != "/var/lib/acd" {
		t.Fatalf("the embedded default keeps its records in %q under StateDirectory=acd, want /var/lib/acd", c.Server.DataDir)
	}
}
