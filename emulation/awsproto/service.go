package awsproto

import "net/http"

// Service describes one emulated AWS service as the edge router and the fault
// injector see it.
type Service struct {
	// Name is the short name, as in AWS_ENDPOINT_URL_<NAME>: "s3", "dynamodb", ...
	Name string
	// TargetPrefix is the X-Amz-Target prefix including the dot, e.g.
	// "DynamoDB_20120810."; empty for REST services (S3).
	TargetPrefix string
	// ThrottleStatus and ThrottleCode are the error the service returns when it
	// throttles a request.
	ThrottleStatus int
	ThrottleCode   string
	// InternalStatus and InternalCode are its server-side failure.
	InternalStatus int
	InternalCode   string
}

// The services the emulator serves.
var (
	S3 = Service{
		Name:           "s3",
		ThrottleStatus: http.StatusServiceUnavailable, ThrottleCode: "SlowDown",
		InternalStatus: http.StatusInternalServerError, InternalCode: "InternalError",
	}
	DynamoDB = Service{
		Name: "dynamodb", TargetPrefix: "DynamoDB_20120810.",
		ThrottleStatus: http.StatusBadRequest, ThrottleCode: CodeThroughputExceeded,
		InternalStatus: http.StatusInternalServerError, InternalCode: "InternalServerError",
	}
	DynamoDBStreams = Service{
		Name: "dynamodbstreams", TargetPrefix: "DynamoDBStreams_20120810.",
		ThrottleStatus: http.StatusBadRequest, ThrottleCode: CodeThrottling,
		InternalStatus: http.StatusInternalServerError, InternalCode: "InternalServerError",
	}
	Kinesis = Service{
		Name: "kinesis", TargetPrefix: "Kinesis_20131202.",
		ThrottleStatus: http.StatusBadRequest, ThrottleCode: CodeThroughputExceeded,
		InternalStatus: http.StatusInternalServerError, InternalCode: CodeInternalFailure,
	}
	Firehose = Service{
		Name: "firehose", TargetPrefix: "Firehose_20150804.",
		ThrottleStatus: http.StatusServiceUnavailable, ThrottleCode: CodeServiceUnavailable,
		InternalStatus: http.StatusInternalServerError, InternalCode: CodeServiceUnavailable,
	}
)
