package awsproto

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a protocol error as an AWS JSON service returns it: a type name
// (the part after '#' in `__type`), a message and an HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
	// Fields are members the error's body carries beside `__type` and
	// `message`, e.g. DynamoDB's CancellationReasons.
	Fields map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given status, code and formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Common error codes shared by the JSON services. Each service may add its own.
const (
	CodeValidation            = "ValidationException"
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeResourceInUse         = "ResourceInUseException"
	CodeLimitExceeded         = "LimitExceededException"
	CodeInvalidArgument       = "InvalidArgumentException"
	CodeThroughputExceeded    = "ProvisionedThroughputExceededException"
	CodeThrottling            = "ThrottlingException"
	CodeSerialization         = "SerializationException"
	CodeUnknownOperation      = "UnknownOperationException"
	CodeMissingAuthentication = "MissingAuthenticationTokenException"
	CodeInternalFailure       = "InternalFailure"
	CodeServiceUnavailable    = "ServiceUnavailableException"
)

// Validation returns a 400 ValidationException.
func Validation(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeValidation, format, args...)
}

// NotFound returns a 400 ResourceNotFoundException.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeResourceNotFound, format, args...)
}

// InUse returns a 400 ResourceInUseException.
func InUse(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeResourceInUse, format, args...)
}

// InvalidArgument returns a 400 InvalidArgumentException (Kinesis, Firehose).
func InvalidArgument(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidArgument, format, args...)
}

// AsError converts any error into an *Error; an error that is not one becomes
// a 500 with the service's internal-failure code.
func AsError(err error, internalCode string) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Code: internalCode, Message: err.Error(), Status: http.StatusInternalServerError}
}
