package dynamodb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// constraints collects the errors of DynamoDB's first validation pass, the
// declarative constraints of its API model (not null, length, range, enum,
// pattern), which it reports all at once:
//
//	2 validation errors detected: Value null at 'tableName' failed to
//	satisfy constraint: Member must not be null; Value '0' at ...
//
// Paths name members in lower camel case, list elements by 1-based index
// ("keySchema.1.member.keyType") and map entries by key.
type constraints struct {
	errs []string
}

func (c *constraints) add(value, path, msg string) {
	c.errs = append(c.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, msg))
}

// quoted renders a value as the messages do: 'v', or null.
func quoted(v string) string { return "'" + v + "'" }

func (c *constraints) notNull(isNil bool, path string) bool {
	if isNil {
		c.add("null", path, "Member must not be null")
		return false
	}
	return true
}

// enum checks an optional enumerated value.
func (c *constraints) enum(v *string, path string, allowed ...string) {
	if v == nil {
		return
	}
	for _, a := range allowed {
		if *v == a {
			return
		}
	}
	c.add(quoted(*v), path, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// name checks a table or index name: length 3 to 255, pattern [a-zA-Z0-9_.-]+.
func (c *constraints) name(v *string, path string, required bool) {
	if v == nil {
		if required {
			c.notNull(true, path)
		}
		return
	}
	if !tableNameRE.MatchString(*v) {
		c.add(quoted(*v), path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	if len(*v) < 3 {
		c.add(quoted(*v), path, "Member must have length greater than or equal to 3")
	}
	if len(*v) > 255 {
		c.add(quoted(*v), path, "Member must have length less than or equal to 255")
	}
}

// intMin checks an optional integer's lower bound.
func (c *constraints) intMin(v *int64, min int64, path string) {
	if v != nil && *v < min {
		c.add(quoted(strconv.FormatInt(*v, 10)), path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
}

// intMax checks an optional integer's upper bound.
func (c *constraints) intMax(v *int64, max int64, path string) {
	if v != nil && *v > max {
		c.add(quoted(strconv.FormatInt(*v, 10)), path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// err returns the collected errors as one ValidationException, or nil.
func (c *constraints) err() error {
	switch n := len(c.errs); {
	case n == 0:
		return nil
	case n == 1:
		return awsproto.Validation("1 validation error detected: %s", c.errs[0])
	default:
		if n > 10 {
			c.errs = c.errs[:10]
			n = 10
		}
		return awsproto.Validation("%d validation errors detected: %s", n, strings.Join(c.errs, "; "))
	}
}

// required is DynamoDB's error for a missing required top-level parameter.
func required(param string) error {
	return awsproto.Validation("The parameter '%s' is required but was not present in the request", param)
}
