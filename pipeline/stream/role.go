package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// RolePolicyName is the inline policy EnsureRole puts on the delivery role.
const RolePolicyName = "firehose-delivery"

type statement struct {
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
}

type policy struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

func render(p policy) string {
	b, _ := json.MarshalIndent(p, "", "  ")
	return string(b)
}

// RolePolicies returns the two policy documents of the role Firehose assumes
// to read the stream and write the bucket, as AWS's Firehose guide gives
// them: the trust policy lets firehose.amazonaws.com assume the role; the
// access policy allows reading the one Kinesis stream and writing the one
// bucket (and, on the bucket, the calls Firehose makes before writing),
// nothing else. account and region make the stream's ARN.
func RolePolicies(names pipeline.Names, account, region string) (trust, access string) {
	names = names.WithDefaults()
	streamARN := fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", region, account, names.Stream)
	bucketARN := "arn:aws:s3:::" + names.Bucket
	trust = render(policy{Version: "2012-10-17", Statement: []statement{{
		Effect: "Allow", Principal: map[string]string{"Service": "firehose.amazonaws.com"}, Action: []string{"sts:AssumeRole"},
	}}})
	access = render(policy{Version: "2012-10-17", Statement: []statement{
		{Effect: "Allow", Action: []string{"kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"},
			Resource: []string{streamARN}},
		{Effect: "Allow", Action: []string{"s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
			"s3:ListBucketMultipartUploads", "s3:PutObject"},
			Resource: []string{bucketARN, bucketARN + "/*"}},
	}})
	return trust, access
}

// EnsureRole creates the IAM role Names.FirehoseRole with RolePolicies, or,
// when it exists, puts the access policy on it again, and returns its ARN.
func EnsureRole(ctx context.Context, cfg aws.Config, names pipeline.Names, account string) (string, error) {
	names = names.WithDefaults()
	c := iam.NewFromConfig(cfg)
	trust, access := RolePolicies(names, account, cfg.Region)
	var arn string
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(names.FirehoseRole),
		AssumeRolePolicyDocument: aws.String(trust),
		Description:              aws.String("Firehose delivery from Kinesis stream " + names.Stream + " to s3://" + names.Bucket)})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case err == nil:
		arn = aws.ToString(out.Role.Arn)
	case errors.As(err, &exists):
		got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(names.FirehoseRole)})
		if err != nil {
			return "", fmt.Errorf("get IAM role %s: %w", names.FirehoseRole, err)
		}
		arn = aws.ToString(got.Role.Arn)
	default:
		return "", fmt.Errorf("create IAM role %s: %w", names.FirehoseRole, err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(names.FirehoseRole),
		PolicyName: aws.String(RolePolicyName), PolicyDocument: aws.String(access)}); err != nil {
		return arn, fmt.Errorf("put policy %s on IAM role %s: %w", RolePolicyName, names.FirehoseRole, err)
	}
	return arn, nil
}

// DeleteRole deletes the role Names.FirehoseRole and its inline policies. It
// reports whether the role existed.
func DeleteRole(ctx context.Context, cfg aws.Config, names pipeline.Names) (bool, error) {
	names = names.WithDefaults()
	c := iam.NewFromConfig(cfg)
	var nse *iamtypes.NoSuchEntityException
	pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(names.FirehoseRole)})
	if errors.As(err, &nse) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list policies of IAM role %s: %w", names.FirehoseRole, err)
	}
	for _, p := range pols.PolicyNames {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(names.FirehoseRole), PolicyName: aws.String(p)}); err != nil && !errors.As(err, &nse) {
			return true, fmt.Errorf("delete policy %s of IAM role %s: %w", p, names.FirehoseRole, err)
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(names.FirehoseRole)}); err != nil {
		if errors.As(err, &nse) {
			return false, nil
		}
		return true, fmt.Errorf("delete IAM role %s: %w", names.FirehoseRole, err)
	}
	return true, nil
}
