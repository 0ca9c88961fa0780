package harness

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
	var bad []string
	for _, n := range s.resourceNames() {
		if !strings.HasPrefix(n, s.ResourcePrefix) {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s: names %s lack the prefix %q", ErrDestroyRefused, what, strings.Join(bad, ", "), s.ResourcePrefix)
	}
	return nil
}

func (s Settings) resourceNames() []string {
	n := s.Names
	return []string{n.Bucket, n.RatingsTable, n.MoviesTable, n.LinksTable, n.TagsTable, n.Stream, n.DeliveryStream, n.CatalogDatabase}
}
