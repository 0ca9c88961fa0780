package datacatalog

import "strings"

// TableName is the name Glue gives a table crawled from a folder or a
// DynamoDB table: lower-cased, with every character other than a letter, a
// digit or '_' replaced by '_'.
func TableName(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "/"))
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// DynamoDBTableName returns the DynamoDB table a catalog location names: the
// part after "table/" of an ARN, or the location itself.
func DynamoDBTableName(location string) string {
	if strings.HasPrefix(location, "arn:") {
		if _, name, ok := strings.Cut(location, ":table/"); ok {
			name, _, _ = strings.Cut(name, "/")
			return name
		}
	}
	return location
}
