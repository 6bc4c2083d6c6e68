package classify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OptionsFromEnv reads the classifier's own settings through getenv:
// CLASSIFIER_MODEL ("int8", the default, uses the manifest's int8 model when it
// offers one; "fp32" always uses model.onnx), CLASSIFIER_THREADS (ONNX Runtime
// threads per run, default DefaultThreads) and CLASSIFIER_MAX_BATCH (texts per
// run, default DefaultMaxBatch). All problems are reported together.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var opts Options
	var errs []error
	switch v := strings.TrimSpace(getenv("CLASSIFIER_MODEL")); v {
	case "", "int8":
	case "fp32":
		opts.FP32 = true
	default:
		errs = append(errs, fmt.Errorf("CLASSIFIER_MODEL=%q: want int8 or fp32", v))
	}
	number := func(name string, dst *int, lo, hi int) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number in %d..%d", name, v, lo, hi))
			return
		}
		*dst = n
	}
	number("CLASSIFIER_THREADS", &opts.IntraOpThreads, 1, 256)
	number("CLASSIFIER_MAX_BATCH", &opts.MaxBatch, 1, MaxTexts)
	if err := errors.Join(errs...); err != nil {
		return Options{}, fmt.Errorf("classifier config: %w", err)
	}
	return opts, nil
}
