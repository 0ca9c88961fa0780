// Package iam is the emulated AWS Identity and Access Management: roles
// (CreateRole, GetRole, DeleteRole) and their inline policies (PutRolePolicy,
// GetRolePolicy, DeleteRolePolicy, ListRolePolicies), in IAM's query
// protocol with its XML answers and error codes (NoSuchEntity,
// EntityAlreadyExists, MalformedPolicyDocument, DeleteConflict). Policy
// documents are checked for form, not evaluated: the emulator authorizes
// every request.
//
// It must not import pipeline/, fixtures/ or the other emulated services.
package iam
