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
	// XMLNamespace is set for query-protocol services (IAM, STS), which the
	// edge router selects by the SigV4 credential scope's service name
	// (Name) and which answer in XML in this namespace.
	XMLNamespace string
	// RequestID renders the n-th request's X-Amzn-RequestId; nil for
	// "<Name>-<n>".
	RequestID func(n uint64) string
}

// coralRequestID is a request id as DynamoDB's front end writes them: 52
// characters of [0-9A-Z].
func coralRequestID(n uint64) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [52]byte
	x := n*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	for i := range b {
		if i%12 == 0 {
			x ^= x >> 29
			x *= 0xBF58476D1CE4E5B9
			x ^= n + uint64(i)
		}
		b[i] = digits[x%36]
		x /= 36
	}
	return string(b[:])
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
		RequestID: coralRequestID,
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
	IAM = Service{
		Name:           "iam",
		ThrottleStatus: http.StatusBadRequest, ThrottleCode: "Throttling",
		InternalStatus: http.StatusInternalServerError, InternalCode: "ServiceFailure",
		XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
	}
	STS = Service{
		Name:           "sts",
		ThrottleStatus: http.StatusBadRequest, ThrottleCode: "Throttling",
		InternalStatus: http.StatusInternalServerError, InternalCode: "InternalFailure",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
	}
)
