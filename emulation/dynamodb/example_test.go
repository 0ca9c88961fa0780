package dynamodb_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
)

// The emulated DynamoDB answers the AWS SDK like the real service.
func Example() {
	srv, err := emulation.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c := dynamodb.NewFromConfig(srv.Config())

	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("ratings_t"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("Id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("Id"), AttributeType: types.ScalarAttributeTypeS}},
	}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"ratings_t": {
			{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"Id": s("1X31"), "rating": s("2.5")}}},
			{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"Id": s("1X1029"), "rating": s("3.0")}}},
		},
	}}); err != nil {
		log.Fatal(err)
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("ratings_t"), Key: map[string]types.AttributeValue{"Id": s("1X31")}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Item["rating"].(*types.AttributeValueMemberS).Value)
	count, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("ratings_t"), Select: types.SelectCount})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(count.Count, "items")
	// Output:
	// 2.5
	// 2 items
}
