package dynamodb

import (
	"context"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

func (s *Service) executeStatement(ctx context.Context, in *struct{}) (*struct{}, error) {
	return nil, awsproto.Errorf(400, awsproto.CodeUnknownOperation, "not yet")
}

func (s *Service) batchExecuteStatement(ctx context.Context, in *struct{}) (*struct{}, error) {
	return nil, awsproto.Errorf(400, awsproto.CodeUnknownOperation, "not yet")
}

func (s *Service) executeTransaction(ctx context.Context, in *struct{}) (*struct{}, error) {
	return nil, awsproto.Errorf(400, awsproto.CodeUnknownOperation, "not yet")
}
