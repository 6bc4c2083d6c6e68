package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/contentml/mlbundle/shared/api"
)

// LambdaORTLib is where the Lambda layer puts the ONNX Runtime library.
const LambdaORTLib = "/opt/lib/libonnxruntime.so.1"

// Config is the typed process configuration.
type Config struct {
	ModelsDir         string
	ModelsBucket      string
	ModelsPrefix      string
	ActiveTable       string
	InteractionsTable string
	PopularityTable   string
	InteractionsDB    string
	// AvailabilityTable holds the unavailable items (unset: a table of InteractionsDB),
	// re-read at most every AvailabilityTTL.
	AvailabilityTable string
	AvailabilityTTL   time.Duration
	// ItemsTable holds the items registered with a text after training (unset: a
	// table of InteractionsDB), re-read by recommend at most every ItemsTTL.
	ItemsTable     string
	ItemsTTL       time.Duration
	ONNXRuntimeLib string
	ModelTTL       time.Duration
	AuthMode       string
	ServiceScope   string
	LogLevel       slog.Level
	AWSEndpointURL string
	FunctionName   string
	// AllowBelowPopularity lets reload promote an ncf version whose validation
	// metrics do not beat its popularity baseline (RELOAD_ALLOW_BELOW_POPULARITY).
	AllowBelowPopularity bool
	// OnLambda is true inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME set), where the
	// local defaults (models dir, SQLite file) are never what was meant.
	OnLambda bool

	modelsDirSet, interactionsDBSet bool // set explicitly, not defaulted
}

// Needs names the stores one function reads, for Config.Require.
type Needs struct {
	Models       bool // MODELS_BUCKET and ACTIVE_TABLE, or an explicit MODELS_DIR
	Interactions bool // INTERACTIONS_TABLE and POPULARITY_TABLE, or an explicit INTERACTIONS_DB
	Availability bool // AVAILABILITY_TABLE, or an explicit INTERACTIONS_DB
	Items        bool // ITEMS_TABLE, or an explicit INTERACTIONS_DB
}

// Require reports, on Lambda, every store that need names but the environment
// does not configure, so that a function deployed without its variables fails at
// init with one clear message instead of quietly reading an empty local default.
// An explicit MODELS_DIR or INTERACTIONS_DB (a directory shipped with the function
// or a mounted file system) counts as configured. Off Lambda the local defaults
// stand and Require returns nil.
func (c Config) Require(need Needs) error {
	if !c.OnLambda {
		return nil
	}
	var errs []error
	missing := func(name, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required on Lambda", name))
		}
	}
	if need.Models && !c.modelsDirSet {
		missing("MODELS_BUCKET", c.ModelsBucket)
		missing("ACTIVE_TABLE", c.ActiveTable)
	}
	if need.Interactions && !c.interactionsDBSet {
		missing("INTERACTIONS_TABLE", c.InteractionsTable)
		missing("POPULARITY_TABLE", c.PopularityTable)
	}
	if need.Availability && !c.interactionsDBSet {
		missing("AVAILABILITY_TABLE", c.AvailabilityTable)
	}
	if need.Items && !c.interactionsDBSet {
		missing("ITEMS_TABLE", c.ItemsTable)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// FromEnv reads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Load reads the configuration through getenv (os.Getenv, or a map in tests). All
// problems are returned together, each naming its variable.
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	onLambda := getenv("AWS_LAMBDA_FUNCTION_NAME") != ""
	c := Config{
		ModelsDir:         get("MODELS_DIR", "models"),
		ModelsBucket:      get("MODELS_BUCKET", ""),
		ModelsPrefix:      get("MODELS_PREFIX", "models/"),
		ActiveTable:       get("ACTIVE_TABLE", ""),
		InteractionsTable: get("INTERACTIONS_TABLE", ""),
		PopularityTable:   get("POPULARITY_TABLE", ""),
		InteractionsDB:    get("INTERACTIONS_DB", ".local/interactions.db"),
		AvailabilityTable: get("AVAILABILITY_TABLE", ""),
		ItemsTable:        get("ITEMS_TABLE", ""),
		ONNXRuntimeLib:    get("ONNXRUNTIME_LIB", ""),
		AuthMode:          get("AUTH_MODE", api.AuthNone),
		ServiceScope:      get("SERVICE_SCOPE", api.DefaultServiceScope),
		AWSEndpointURL:    get("AWS_ENDPOINT_URL", ""),
		FunctionName:      get("AWS_LAMBDA_FUNCTION_NAME", "local"),
		OnLambda:          onLambda,
		modelsDirSet:      strings.TrimSpace(getenv("MODELS_DIR")) != "",
		interactionsDBSet: strings.TrimSpace(getenv("INTERACTIONS_DB")) != "",
	}
	if c.ONNXRuntimeLib == "" && onLambda {
		c.ONNXRuntimeLib = LambdaORTLib
	}
	var errs []error
	ttl := get("MODEL_TTL_SECONDS", "30")
	if n, err := strconv.Atoi(ttl); err != nil || n < 0 || n > 86400 {
		errs = append(errs, fmt.Errorf("MODEL_TTL_SECONDS=%q: want whole seconds in 0..86400", ttl))
	} else {
		c.ModelTTL = time.Duration(n) * time.Second
	}
	attl := get("AVAILABILITY_TTL_SECONDS", "30")
	if n, err := strconv.Atoi(attl); err != nil || n < 0 || n > 86400 {
		errs = append(errs, fmt.Errorf("AVAILABILITY_TTL_SECONDS=%q: want whole seconds in 0..86400", attl))
	} else {
		c.AvailabilityTTL = time.Duration(n) * time.Second
	}
	ittl := get("ITEMS_TTL_SECONDS", "30")
	if n, err := strconv.Atoi(ittl); err != nil || n < 0 || n > 86400 {
		errs = append(errs, fmt.Errorf("ITEMS_TTL_SECONDS=%q: want whole seconds in 0..86400", ittl))
	} else {
		c.ItemsTTL = time.Duration(n) * time.Second
	}
	if v := get("RELOAD_ALLOW_BELOW_POPULARITY", "false"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELOAD_ALLOW_BELOW_POPULARITY=%q: want true or false", v))
		}
		c.AllowBelowPopularity = b
	}
	if c.AuthMode != api.AuthNone && c.AuthMode != api.AuthJWT {
		errs = append(errs, fmt.Errorf("AUTH_MODE=%q: want %q or %q", c.AuthMode, api.AuthNone, api.AuthJWT))
	}
	level := get("LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", level))
	}
	if (c.InteractionsTable == "") != (c.PopularityTable == "") {
		errs = append(errs, errors.New("INTERACTIONS_TABLE and POPULARITY_TABLE must be set together"))
	}
	if c.ModelsBucket != "" && !strings.HasSuffix(c.ModelsPrefix, "/") {
		errs = append(errs, fmt.Errorf("MODELS_PREFIX=%q: must end with /", c.ModelsPrefix))
	}
	if c.AWSEndpointURL != "" && !strings.HasPrefix(c.AWSEndpointURL, "http://") &&
		!strings.HasPrefix(c.AWSEndpointURL, "https://") {
		errs = append(errs, fmt.Errorf("AWS_ENDPOINT_URL=%q: want an http(s) URL", c.AWSEndpointURL))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// UsesS3 reports whether checkpoints come from S3 rather than ModelsDir.
func (c Config) UsesS3() bool { return c.ModelsBucket != "" }

// UsesDynamo reports whether interactions live in DynamoDB rather than SQLite.
func (c Config) UsesDynamo() bool { return c.InteractionsTable != "" }

// Auth is the authorisation setting for the API router.
func (c Config) Auth() api.Auth { return api.Auth{Mode: c.AuthMode, ServiceScope: c.ServiceScope} }

// Logger returns a JSON slog logger at the configured level writing to w, tagged
// with the function name.
func (c Config) Logger(w io.Writer) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.LogLevel})
	return slog.New(h).With("function", c.FunctionName)
}
