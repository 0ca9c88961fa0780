package datacatalog

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemText is the text of a DynamoDB attribute value as a Glue DynamicFrame
// gives it for a string column, and as the etl and verify stages load it: S and N as they are, BOOL as true/false,
// B as base64, sets, lists and maps as JSON. NULL has no text.
func ItemText(av types.AttributeValue) (string, bool) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, true
	case *types.AttributeValueMemberN:
		return v.Value, true
	case *types.AttributeValueMemberBOOL:
		return strconv.FormatBool(v.Value), true
	case *types.AttributeValueMemberB:
		return base64.StdEncoding.EncodeToString(v.Value), true
	case *types.AttributeValueMemberNULL, nil:
		return "", false
	default:
		b, err := json.Marshal(itemJSON(av))
		if err != nil {
			return "", false
		}
		return string(b), true
	}
}

// itemJSON turns a DynamoDB value into a value encoding/json writes as the
// plain JSON of it, numbers keeping their text.
func itemJSON(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return json.Number(v.Value)
	case *types.AttributeValueMemberBOOL:
		return v.Value
	case *types.AttributeValueMemberB:
		return v.Value // []byte: base64
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberNS:
		ns := make([]json.Number, len(v.Value))
		for i, n := range v.Value {
			ns[i] = json.Number(n)
		}
		return ns
	case *types.AttributeValueMemberBS:
		return v.Value
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = itemJSON(e)
		}
		return l
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(v.Value))
		for k, e := range v.Value {
			m[k] = itemJSON(e)
		}
		return m
	default:
		return nil
	}
}
