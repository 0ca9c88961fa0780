package dynamodb

import (
	"context"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

type tokenCache struct{}

func newTokenCache() *tokenCache { return &tokenCache{} }

func (s *Service) transactWriteItems(ctx context.Context, in *struct{}) (*struct{}, error) {
	return nil, awsproto.Errorf(400, awsproto.CodeUnknownOperation, "not yet")
}

func (s *Service) transactGetItems(ctx context.Context, in *struct{}) (*struct{}, error) {
	return nil, awsproto.Errorf(400, awsproto.CodeUnknownOperation, "not yet")
}
