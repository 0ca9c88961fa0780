// Package sts is the emulated AWS Security Token Service: GetCallerIdentity
// (the account and the caller's ARN, derived from the request's access key)
// and AssumeRole (temporary credentials for a role that exists in the
// emulated IAM), in STS's query protocol with its XML answers.
//
// It imports emulation/iam, whose roles it assumes, and no other emulated
// service; it must not import pipeline/ or fixtures/.
package sts
