package datacatalog

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestItemText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		av     types.AttributeValue
		want   string
		wantOK bool
	}{
		{"S keeps leading zeros", &types.AttributeValueMemberS{Value: "0114709"}, "0114709", true},
		{"S empty", &types.AttributeValueMemberS{Value: ""}, "", true},
		{"N keeps its text", &types.AttributeValueMemberN{Value: "3.0"}, "3.0", true},
		{"BOOL", &types.AttributeValueMemberBOOL{Value: true}, "true", true},
		{"NULL", &types.AttributeValueMemberNULL{Value: true}, "", false},
		{"B", &types.AttributeValueMemberB{Value: []byte("hi")}, "aGk=", true},
		{"SS", &types.AttributeValueMemberSS{Value: []string{"a", "b"}}, `["a","b"]`, true},
		{"NS", &types.AttributeValueMemberNS{Value: []string{"1", "2.50"}}, `[1,2.50]`, true},
		{"L", &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "7"},
		}}, `["x",7]`, true},
		{"M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"b": &types.AttributeValueMemberBOOL{Value: false}, "a": &types.AttributeValueMemberNULL{Value: true},
		}}, `{"a":null,"b":false}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ItemText(tt.av)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ItemText = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
