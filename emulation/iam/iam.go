package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// DefaultAccount is the account of every ARN the emulator makes.
const DefaultAccount = "000000000000"

// Error codes IAM answers with.
const (
	CodeNoSuchEntity            = "NoSuchEntity"
	CodeEntityAlreadyExists     = "EntityAlreadyExists"
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodeDeleteConflict          = "DeleteConflict"
)

// Role is one IAM role.
type Role struct {
	Name, Path, ID, ARN      string
	Description              string
	AssumeRolePolicyDocument string
	MaxSessionDuration       int
	Created                  time.Time
	// Policies are the inline policies by name.
	Policies map[string]string
}

// Service is the emulated IAM: roles and their inline policies. It is an
// http.Handler for query-protocol requests signed for "iam".
type Service struct {
	mux     *awsproto.QueryMux
	now     func() time.Time
	account string

	mu    sync.Mutex
	roles map[string]*Role
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source of CreateDate.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns an empty IAM.
func New(opts ...Option) *Service {
	s := &Service{now: time.Now, account: DefaultAccount, roles: map[string]*Role{}}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewQueryMux(awsproto.IAM, awsproto.IAM.XMLNamespace)
	s.mux.Handle("CreateRole", s.createRole)
	s.mux.Handle("GetRole", s.getRole)
	s.mux.Handle("DeleteRole", s.deleteRole)
	s.mux.Handle("PutRolePolicy", s.putRolePolicy)
	s.mux.Handle("GetRolePolicy", s.getRolePolicy)
	s.mux.Handle("DeleteRolePolicy", s.deleteRolePolicy)
	s.mux.Handle("ListRolePolicies", s.listRolePolicies)
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Operations lists the actions served.
func (s *Service) Operations() []string { return s.mux.Operations() }

// Account is the account id in the ARNs.
func (s *Service) Account() string { return s.account }

// RoleByARN returns a copy of the role an ARN names, if it exists.
func (s *Service) RoleByARN(arn string) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.roles {
		if r.ARN == arn {
			c := *r
			c.Policies = map[string]string{}
			for k, v := range r.Policies {
				c.Policies[k] = v
			}
			return c, true
		}
	}
	return Role{}, false
}

var (
	roleNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathRE       = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
)

func validation(format string, args ...any) error {
	return awsproto.Errorf(http.StatusBadRequest, awsproto.CodeQueryValidation, format, args...)
}

func noSuchRole(name string) error {
	return awsproto.Errorf(http.StatusNotFound, CodeNoSuchEntity, "The role with name %s cannot be found.", name)
}

// required returns the parameter or a ValidationError naming it.
func required(p url.Values, name string) (string, error) {
	v := p.Get(name)
	if v == "" {
		return "", validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return v, nil
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func roleName(p url.Values) (string, error) {
	name, err := required(p, "RoleName")
	if err != nil {
		return "", err
	}
	if !roleNameRE.MatchString(name) {
		return "", validation("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length less than or equal to 64", name)
	}
	return name, nil
}

// checkPolicy accepts a JSON policy document with a Version IAM knows (when
// given) and one or more statements, each with an Effect of Allow or Deny.
// A trust policy (principal) must name a Principal in every statement.
func checkPolicy(doc string, trust bool) error {
	var p struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	malformed := func(msg string) error {
		return awsproto.Errorf(http.StatusBadRequest, CodeMalformedPolicyDocument, "%s", msg)
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return malformed("Syntax errors in policy.")
	}
	if p.Version != "" && p.Version != "2012-10-17" && p.Version != "2008-10-17" {
		return malformed("The policy must contain a valid version string")
	}
	var stmts []map[string]json.RawMessage
	if len(p.Statement) > 0 && p.Statement[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(p.Statement, &one); err != nil {
			return malformed("Syntax errors in policy.")
		}
		stmts = append(stmts, one)
	} else if err := json.Unmarshal(p.Statement, &stmts); err != nil || len(stmts) == 0 {
		return malformed("Missing required field Statement")
	}
	for _, st := range stmts {
		var effect string
		if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
			return malformed("Missing required field Effect")
		}
		if _, ok := st["Action"]; !ok {
			if _, ok := st["NotAction"]; !ok {
				return malformed("Missing required field Action")
			}
		}
		if _, ok := st["Principal"]; trust && !ok {
			return malformed("Missing required field Principal")
		}
		if _, ok := st["Principal"]; !trust && ok {
			return malformed("Policy document should not specify a principal.")
		}
	}
	return nil
}

// roleXML is a role as IAM returns it; policy documents are URL-encoded, as
// IAM sends them.
type roleXML struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

func (r *Role) xml() roleXML {
	return roleXML{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN,
		CreateDate:               r.Created.UTC().Format(time.RFC3339),
		AssumeRolePolicyDocument: url.QueryEscape(r.AssumeRolePolicyDocument),
		Description:              r.Description, MaxSessionDuration: r.MaxSessionDuration}
}

// newID returns an IAM unique id: a four-letter prefix and 17 characters.
func newID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

func (s *Service) createRole(_ context.Context, p url.Values) (any, error) {
	name, err := roleName(p)
	if err != nil {
		return nil, err
	}
	doc, err := required(p, "AssumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	path := p.Get("Path")
	if path == "" {
		path = "/"
	}
	if !pathRE.MatchString(path) || len(path) > 512 {
		return nil, validation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	maxSession := 3600
	if v := p.Get("MaxSessionDuration"); v != "" {
		if maxSession, err = strconv.Atoi(v); err != nil || maxSession < 3600 || maxSession > 43200 {
			return nil, validation("1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", v)
		}
	}
	if err := checkPolicy(doc, true); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.roles[strings.ToLower(name)]; ok {
		return nil, awsproto.Errorf(http.StatusConflict, CodeEntityAlreadyExists, "Role with name %s already exists.", name)
	}
	r := &Role{Name: name, Path: path, ID: newID("AROA"), ARN: "arn:aws:iam::" + s.account + ":role" + path + name,
		Description: p.Get("Description"), AssumeRolePolicyDocument: doc, MaxSessionDuration: maxSession,
		Created: s.now(), Policies: map[string]string{}}
	s.roles[strings.ToLower(name)] = r
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml()}, nil
}

// role returns the role named by RoleName; IAM role names are unique
// without regard to case. The caller holds s.mu.
func (s *Service) role(p url.Values) (*Role, error) {
	name, err := roleName(p)
	if err != nil {
		return nil, err
	}
	r, ok := s.roles[strings.ToLower(name)]
	if !ok {
		return nil, noSuchRole(name)
	}
	return r, nil
}

func (s *Service) getRole(_ context.Context, p url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(p)
	if err != nil {
		return nil, err
	}
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml()}, nil
}

func (s *Service) deleteRole(_ context.Context, p url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(p)
	if err != nil {
		return nil, err
	}
	if len(r.Policies) > 0 {
		return nil, awsproto.Errorf(http.StatusConflict, CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
	}
	delete(s.roles, strings.ToLower(r.Name))
	return nil, nil
}

func policyName(p url.Values) (string, error) {
	name, err := required(p, "PolicyName")
	if err != nil {
		return "", err
	}
	if !policyNameRE.MatchString(name) {
		return "", validation("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	return name, nil
}

func (s *Service) putRolePolicy(_ context.Context, p url.Values) (any, error) {
	name, err := policyName(p)
	if err != nil {
		return nil, err
	}
	doc, err := required(p, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	if err := checkPolicy(doc, false); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(p)
	if err != nil {
		return nil, err
	}
	r.Policies[name] = doc
	return nil, nil
}

func (s *Service) getRolePolicy(_ context.Context, p url.Values) (any, error) {
	name, err := policyName(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(p)
	if err != nil {
		return nil, err
	}
	doc, ok := r.Policies[name]
	if !ok {
		return nil, awsproto.Errorf(http.StatusNotFound, CodeNoSuchEntity, "The role policy with name %s cannot be found.", name)
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{r.Name, name, url.QueryEscape(doc)}, nil
}

func (s *Service) deleteRolePolicy(_ context.Context, p url.Values) (any, error) {
	name, err := policyName(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(p)
	if err != nil {
		return nil, err
	}
	if _, ok := r.Policies[name]; !ok {
		return nil, awsproto.Errorf(http.StatusNotFound, CodeNoSuchEntity, "The role policy with name %s cannot be found.", name)
	}
	delete(r.Policies, name)
	return nil, nil
}

func (s *Service) listRolePolicies(_ context.Context, p url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(p)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.Policies))
	for n := range r.Policies {
		names = append(names, n)
	}
	slices.Sort(names)
	return struct {
		PolicyNames []string `xml:"PolicyNames>member"`
		IsTruncated bool     `xml:"IsTruncated"`
	}{names, false}, nil
}
