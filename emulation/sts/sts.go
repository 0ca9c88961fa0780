package sts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/iam"
)

// Service is the emulated STS. It is an http.Handler for query-protocol
// requests signed for "sts".
type Service struct {
	mux *awsproto.QueryMux
	iam *iam.Service
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]string // temporary access key → assumed-role ARN
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source of credential expirations.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns an STS whose AssumeRole assumes the roles of roles.
func New(roles *iam.Service, opts ...Option) *Service {
	s := &Service{iam: roles, now: time.Now, sessions: map[string]string{}}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewQueryMux(awsproto.STS, awsproto.STS.XMLNamespace)
	s.mux.Handle("AssumeRole", s.assumeRole)
	s.mux.Handle("GetCallerIdentity", func(ctx context.Context, _ url.Values) (any, error) {
		key, _ := ctx.Value(accessKey{}).(string)
		return s.callerIdentity(key), nil
	})
	return s
}

// Operations lists the actions served.
func (s *Service) Operations() []string { return s.mux.Operations() }

// accessKey is the context key of the caller's access key id.
type accessKey struct{}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// GetCallerIdentity answers about the caller: the request's access key.
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), accessKey{}, awsproto.AccessKey(r))))
}

type identity struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// callerIdentity is the account root for a long-term key, or the assumed
// role for a key AssumeRole issued.
func (s *Service) callerIdentity(key string) identity {
	s.mu.Lock()
	arn, ok := s.sessions[key]
	s.mu.Unlock()
	if ok {
		return identity{UserID: key, Account: s.iam.Account(), Arn: arn}
	}
	return identity{UserID: key, Account: s.iam.Account(), Arn: "arn:aws:iam::" + s.iam.Account() + ":root"}
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func validation(format string, args ...any) error {
	return awsproto.Errorf(http.StatusBadRequest, awsproto.CodeQueryValidation, format, args...)
}

func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func (s *Service) assumeRole(_ context.Context, p url.Values) (any, error) {
	roleARN, session := p.Get("RoleArn"), p.Get("RoleSessionName")
	if roleARN == "" {
		return nil, validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if session == "" {
		return nil, validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if !sessionNameRE.MatchString(session) {
		return nil, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	duration := 3600
	if v := p.Get("DurationSeconds"); v != "" {
		var err error
		if duration, err = strconv.Atoi(v); err != nil || duration < 900 || duration > 43200 {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
	}
	role, ok := s.iam.RoleByARN(roleARN)
	if !ok {
		return nil, awsproto.Errorf(http.StatusForbidden, "AccessDenied",
			"User: arn:aws:iam::%s:root is not authorized to perform: sts:AssumeRole on resource: %s", s.iam.Account(), roleARN)
	}
	if duration > role.MaxSessionDuration {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	key := "ASIA" + token(8)
	arn := "arn:aws:sts::" + s.iam.Account() + ":assumed-role/" + role.Name + "/" + session
	s.mu.Lock()
	s.sessions[key] = arn
	s.mu.Unlock()
	type credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	type assumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	}
	return struct {
		Credentials     credentials     `xml:"Credentials"`
		AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
	}{
		credentials{key, token(20), token(64), s.now().Add(time.Duration(duration) * time.Second).UTC().Format(time.RFC3339)},
		assumedRoleUser{role.ID + ":" + session, arn},
	}, nil
}
