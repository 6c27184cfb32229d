package report

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	temp := t.TempDir()
	file := filepath.Join(temp, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, runnerTemp, want string
	}{
		{"Actions: the job's temporary directory", temp, filepath.Join(temp, DefaultFileName)},
		{"CLI: the working directory", "", DefaultFileName},
		{"Docker action on a runner that does not mount RUNNER_TEMP", filepath.Join(temp, "absent"), DefaultFileName},
		{"RUNNER_TEMP is not a directory", file, DefaultFileName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DefaultPath(func(k string) string {
				if k == "RUNNER_TEMP" {
					return tc.runnerTemp
				}
				return ""
			})
			if got != tc.want {
				t.Errorf("DefaultPath = %q, want %q", got, tc.want)
			}
		})
	}
}
