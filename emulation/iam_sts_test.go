package emulation_test

import (
	"errors"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mldatalake/mldatalake/emulation"
)

const (
	trustPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	accessPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::lake/*"]}]}`
)

func TestIAMRoles(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := iam.NewFromConfig(srv.Config())
	ctx := t.Context()

	created, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("mlte-firehose-delivery"),
		AssumeRolePolicyDocument: aws.String(trustPolicy), Description: aws.String("delivery")})
	if err != nil {
		t.Fatal(err)
	}
	role := created.Role
	if aws.ToString(role.Arn) != "arn:aws:iam::000000000000:role/mlte-firehose-delivery" ||
		!strings.HasPrefix(aws.ToString(role.RoleId), "AROA") || role.CreateDate == nil {
		t.Errorf("CreateRole = %+v", role)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(role.AssumeRolePolicyDocument)); doc != trustPolicy {
		t.Errorf("trust policy %q, want %q (URL-encoded on the wire)", doc, trustPolicy)
	}

	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("mlte-firehose-delivery")})
	if err != nil || aws.ToString(got.Role.Arn) != aws.ToString(role.Arn) {
		t.Fatalf("GetRole = %+v, %v", got, err)
	}

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"create twice", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("MLTE-FIREHOSE-DELIVERY"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
			return err
		}, "EntityAlreadyExists"},
		{"get missing", func() error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"trust policy not JSON", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String("{")})
			return err
		}, "MalformedPolicyDocument"},
		{"trust policy without principal", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(accessPolicy)})
			return err
		}, "MalformedPolicyDocument"},
		{"role name", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("a b"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
			return err
		}, "ValidationError"},
		{"policy with a principal", func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("mlte-firehose-delivery"), PolicyName: aws.String("p"), PolicyDocument: aws.String(trustPolicy)})
			return err
		}, "MalformedPolicyDocument"},
		{"policy of a missing role", func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("nope"), PolicyName: aws.String("p"), PolicyDocument: aws.String(accessPolicy)})
			return err
		}, "NoSuchEntity"},
		{"get missing policy", func() error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("mlte-firehose-delivery"), PolicyName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); apiCode(err) != tt.code {
				t.Errorf("err = %v, want %s", err, tt.code)
			}
		})
	}
	var nse *iamtypes.NoSuchEntityException
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")}); !errors.As(err, &nse) {
		t.Errorf("GetRole of a missing role: %v, want the SDK's NoSuchEntityException", err)
	}

	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("mlte-firehose-delivery"),
		PolicyName: aws.String("delivery"), PolicyDocument: aws.String(accessPolicy)}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("mlte-firehose-delivery")})
	if err != nil || !slices.Equal(list.PolicyNames, []string{"delivery"}) {
		t.Errorf("ListRolePolicies = %v, %v", list, err)
	}
	pol, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("mlte-firehose-delivery"), PolicyName: aws.String("delivery")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument)); doc != accessPolicy {
		t.Errorf("policy %q, want %q", doc, accessPolicy)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("mlte-firehose-delivery")}); apiCode(err) != "DeleteConflict" {
		t.Errorf("DeleteRole with a policy: %v, want DeleteConflict", err)
	}
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("mlte-firehose-delivery"), PolicyName: aws.String("delivery")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("mlte-firehose-delivery")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("mlte-firehose-delivery")}); apiCode(err) != "NoSuchEntity" {
		t.Errorf("GetRole after DeleteRole: %v", err)
	}
}

func TestSTS(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	ctx := t.Context()
	cfg := srv.Config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDLAKE", "secret", "")
	c := sts.NewFromConfig(cfg)
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "000000000000" || aws.ToString(id.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(id.UserId) != "AKIDLAKE" {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}

	roleARN := "arn:aws:iam::000000000000:role/delivery"
	if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")}); apiCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole of a missing role: %v, want AccessDenied", err)
	}
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("delivery"), AssumeRolePolicyDocument: aws.String(trustPolicy)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("firehose")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || out.Credentials.Expiration == nil ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::000000000000:assumed-role/delivery/firehose" {
		t.Errorf("AssumeRole = %+v %+v", out.Credentials, out.AssumedRoleUser)
	}
	// The temporary credentials identify as the assumed role.
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId),
		aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	id, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("GetCallerIdentity with the role's credentials = %v, %v", aws.ToString(id.Arn), err)
	}
	if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(60)}); apiCode(err) != "ValidationError" {
		t.Errorf("AssumeRole for 60 s: %v, want ValidationError", err)
	}
}

// TestIAMAndSTSWithAWSCLI drives the query services with the AWS CLI, whose
// signing and XML parsing are written by others.
func TestIAMAndSTSWithAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed; skipping the real-client check")
	}
	t.Parallel()
	srv := emulation.NewTestServer(t)
	if out := awsCLI(t, srv, "sts", "get-caller-identity"); !strings.Contains(out, `"Account": "000000000000"`) {
		t.Errorf("sts get-caller-identity: %s", out)
	}
	if out := awsCLI(t, srv, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trustPolicy); !strings.Contains(out, "arn:aws:iam::000000000000:role/cli-role") {
		t.Errorf("iam create-role: %s", out)
	}
	awsCLI(t, srv, "iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "p", "--policy-document", accessPolicy)
	if out := awsCLI(t, srv, "iam", "list-role-policies", "--role-name", "cli-role"); !strings.Contains(out, `"p"`) {
		t.Errorf("iam list-role-policies: %s", out)
	}
}
