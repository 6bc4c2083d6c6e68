package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/contentml/mlbundle/shared/onnx"
)

// versionText describes this build (module version, VCS revision when the
// binary was built from a checkout, Go version) and the ONNX Runtime library at
// lib: loaded to ask its version, or named as not loaded when lib is empty.
func versionText(info *debug.BuildInfo, ok bool, lib string) string {
	var b strings.Builder
	b.WriteString("mlbundle " + moduleVersion(info, ok) + "\n")
	switch {
	case lib == "":
		b.WriteString("onnxruntime: not loaded (ONNXRUNTIME_LIB is unset; scripts/onnxruntime.sh prints the library's path)\n")
	default:
		v, err := ortVersion(lib)
		if err != nil {
			fmt.Fprintf(&b, "onnxruntime: not loaded from %s: %v\n", lib, err)
		} else {
			fmt.Fprintf(&b, "onnxruntime %s (%s)\n", v, lib)
		}
	}
	return b.String()
}

// moduleVersion is the main module's version with the VCS revision and the Go
// version, e.g. "v0.0.0-20261202011500-0123456789ab (rev 0123456789ab..., modified; go1.26.8)".
func moduleVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "unknown (no build information in this binary)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var extra []string
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		r := "rev " + rev
		if settings["vcs.modified"] == "true" {
			r += ", modified"
		}
		if t := settings["vcs.time"]; t != "" {
			r += ", " + t
		}
		extra = append(extra, r)
	}
	if info.GoVersion != "" {
		extra = append(extra, info.GoVersion)
	}
	if len(extra) == 0 {
		return v
	}
	return v + " (" + strings.Join(extra, "; ") + ")"
}

// ortVersion loads the ONNX Runtime library at lib and returns its version.
func ortVersion(lib string) (string, error) {
	if err := onnx.Init(lib); err != nil {
		return "", err
	}
	return onnx.Version()
}
