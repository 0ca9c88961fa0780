package orchestrate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/env"
)

// ErrDestroyRefused is returned (wrapped) for a destructive step on real AWS
// without the guard.
var ErrDestroyRefused = errors.New("destructive step refused on real AWS")

// CheckDestroy allows a destructive step (what) on the target: always on
// emulators and LocalStack; on real AWS only with PIPELINE_ALLOW_DESTROY=1 and
// a PIPELINE_RESOURCE_PREFIX that every resource name carries.
func (s Settings) CheckDestroy(target env.Target, what string) error {
	if target != env.AWS {
		return nil
	}
	if !s.AllowDestroy {
		return fmt.Errorf("%w: %s needs PIPELINE_ALLOW_DESTROY=1", ErrDestroyRefused, what)
	}
	if s.ResourcePrefix == "" {
		return fmt.Errorf("%w: %s needs PIPELINE_RESOURCE_PREFIX, carried by every resource name", ErrDestroyRefused, what)
	}
	var names []string
	for _, r := range s.Resources() {
		if !r.Local {
			names = append(names, r.Name)
		}
	}
	return s.checkPrefix(what, names)
}

// checkPrefix refuses names that lack the resource prefix, naming them.
func (s Settings) checkPrefix(what string, names []string) error {
	var bad []string
	for _, n := range names {
		if !strings.HasPrefix(n, s.ResourcePrefix) {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s: names %s lack the prefix %q", ErrDestroyRefused, what, strings.Join(bad, ", "), s.ResourcePrefix)
	}
	return nil
}

// TableGuard is migrate's Guard for the target: on real AWS it refuses a
// table name without the prefix, such as one a user's own mapping names.
func (s Settings) TableGuard(target env.Target) func([]string) error {
	return func(tables []string) error {
		if target != env.AWS {
			return nil
		}
		return s.checkPrefix("migrate's DROP_AND_CREATE", tables)
	}
}
