package migrate_test

import (
	"database/sql"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

// A DMS object-mapping rule turns each ratings row into a ratings_t item
// whose partition key joins two columns.
func ExampleTablePlan_Item() {
	m, err := migrate.ParseMapping([]byte(`{"rules": [
	  {"rule-type": "selection", "rule-id": "1", "rule-name": "1",
	   "object-locator": {"schema-name": "movielens", "table-name": "%"}, "rule-action": "include"},
	  {"rule-type": "object-mapping", "rule-id": "2", "rule-name": "ratings", "rule-action": "map-record-to-record",
	   "object-locator": {"schema-name": "movielens", "table-name": "ratings"},
	   "target-table-name": "ratings_t",
	   "mapping-parameters": {
	     "partition-key-name": "Id", "sort-key-name": "movieId",
	     "exclude-columns": ["timestamp"],
	     "attribute-mappings": [
	       {"target-attribute-name": "Id", "attribute-type": "scalar", "attribute-sub-type": "string", "value": "${userId}X${movieId}"},
	       {"target-attribute-name": "movieId", "attribute-type": "scalar", "attribute-sub-type": "string", "value": "${movieId}"},
	       {"target-attribute-name": "rating", "attribute-type": "scalar", "attribute-sub-type": "string", "value": "${rating}"},
	       {"target-attribute-name": "timestamp_c", "attribute-type": "scalar", "attribute-sub-type": "string", "value": "${timestamp}"}]}}
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	plans, err := m.Plan([]migrate.Table{{
		Schema: "movielens", Name: "ratings", PrimaryKey: []string{"userId", "movieId"},
		Columns: []migrate.Column{{Name: "userId", Type: "int"}, {Name: "movieId", Type: "int"},
			{Name: "rating", Type: "decimal"}, {Name: "timestamp", Type: "bigint"}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := plans[0]
	fmt.Println(p.Target, p.PartitionKey, p.SortKey, p.Columns)

	item, err := p.Item([]sql.NullString{{String: "1", Valid: true}, {String: "31", Valid: true}, {String: "3.0", Valid: true}, {String: "1260759144", Valid: true}})
	if err != nil {
		fmt.Println(err)
		return
	}
	names := make([]string, 0, len(item))
	for k := range item {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch v := item[k].(type) {
		case *types.AttributeValueMemberS:
			fmt.Printf("%s S %q\n", k, v.Value)
		case *types.AttributeValueMemberN:
			fmt.Printf("%s N %q\n", k, v.Value)
		}
	}
	// Output:
	// ratings_t {Id S} {movieId S} [userId movieId rating timestamp]
	// Id S "1X31"
	// movieId S "31"
	// rating S "3.0"
	// timestamp_c S "1260759144"
	// userId N "1"
}
