package kinesis

import (
	"context"
	"math/big"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// ---- SplitShard, MergeShards ----

type splitShardInput struct {
	NewStartingHashKey *string `json:"NewStartingHashKey"`
	streamRef
	ShardToSplit *string `json:"ShardToSplit"`
}

func (s *Service) splitShard(ctx context.Context, in *splitShardInput) (*empty, error) {
	var v violations
	v.str("newStartingHashKey", in.NewStartingHashKey, strRule{required: true, pattern: &hashKeyPattern})
	v.stream(&in.streamRef)
	v.str("shardToSplit", in.ShardToSplit, shardIDRule)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	ix, err := s.resolveShard(*in.ShardToSplit, name)
	if err != nil {
		return nil, err
	}
	k, _ := new(big.Int).SetString(*in.NewStartingHashKey, 10)
	if err := s.backend.SplitShard(ctx, name, ix, k); err != nil {
		return nil, err
	}
	s.log.Debug("kinesis shard split", "stream", name, "shard", shardName(int64(ix)), "new_starting_hash_key", k)
	return nil, nil
}

// resolveShard reads a shard id given in a request.
func (s *Service) resolveShard(id, stream string) (int, error) {
	ix := shardIndex(id)
	if ix < 0 {
		return 0, awsproto.NotFound("Could not find shard %s in stream %s under account %s.", id, stream, s.account)
	}
	return ix, nil
}

type mergeShardsInput struct {
	ShardToMerge         *string `json:"ShardToMerge"`
	AdjacentShardToMerge *string `json:"AdjacentShardToMerge"`
	streamRef
}

func (s *Service) mergeShards(ctx context.Context, in *mergeShardsInput) (*empty, error) {
	var v violations
	v.str("shardToMerge", in.ShardToMerge, shardIDRule)
	v.str("adjacentShardToMerge", in.AdjacentShardToMerge, shardIDRule)
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	a, err := s.resolveShard(*in.ShardToMerge, name)
	if err != nil {
		return nil, err
	}
	b, err := s.resolveShard(*in.AdjacentShardToMerge, name)
	if err != nil {
		return nil, err
	}
	if err := s.backend.MergeShards(ctx, name, a, b); err != nil {
		return nil, err
	}
	s.log.Debug("kinesis shards merged", "stream", name, "shard", shardName(int64(a)), "adjacent", shardName(int64(b)))
	return nil, nil
}

// ---- IncreaseStreamRetentionPeriod, DecreaseStreamRetentionPeriod ----

type retentionInput struct {
	RetentionPeriodHours *integer `json:"RetentionPeriodHours"`
	streamRef
}

func (s *Service) increaseRetention(ctx context.Context, in *retentionInput) (*empty, error) {
	return nil, s.setRetention(ctx, in, true)
}

func (s *Service) decreaseRetention(ctx context.Context, in *retentionInput) (*empty, error) {
	return nil, s.setRetention(ctx, in, false)
}

func (s *Service) setRetention(ctx context.Context, in *retentionInput, increase bool) error {
	var v violations
	// Today's API gives RetentionPeriodHours no range: the service checks
	// 24..8760 itself (InvalidArgumentException).
	v.int("retentionPeriodHours", in.RetentionPeriodHours, true, -1<<31, 0)
	v.stream(&in.streamRef)
	if err := v.err(); err != nil {
		return err
	}
	name, err := in.name()
	if err != nil {
		return err
	}
	return s.backend.SetRetention(ctx, name, int(*in.RetentionPeriodHours), increase)
}
