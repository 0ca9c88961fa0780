package kinesis

import (
	"context"
	"sort"
	"strings"
	"unicode"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// ---- tags ----

// tags checks a Tags map member.
func (v *violations) tags(path string, tags map[string]string) {
	if tags == nil {
		return
	}
	value := func() string { return mapValue(tags) }
	if len(tags) > 200 {
		v.add(value(), path, "Member must have length less than or equal to 200")
	}
	for k, val := range tags {
		if n := javaLen(k); n < 1 || n > 128 {
			v.add(value(), path, "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
			break
		}
		if javaLen(val) > 256 {
			v.add(value(), path, "Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]")
			break
		}
	}
}

// mapValue is how Java prints a map in a message.
func mapValue(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (v *violations) tagKeys(path string, keys []string) {
	switch {
	case keys == nil:
		v.add("null", path, "Member must not be null")
		return
	case len(keys) < 1:
		v.add("[]", path, "Member must have length greater than or equal to 1")
	case len(keys) > 50:
		v.add("["+strings.Join(keys, ", ")+"]", path, "Member must have length less than or equal to 50")
	}
	for _, k := range keys {
		if n := javaLen(k); n < 1 || n > 128 {
			v.add("["+strings.Join(keys, ", ")+"]", path, "Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
			break
		}
	}
}

// tagCharOK tells whether r may appear in a tag key or value: Unicode
// letters and digits, the space and _ . / = + - % @.
func tagCharOK(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("_./=+-%@", r)
}

// checkTagChars refuses tags with characters Kinesis does not allow; verb
// is "add tags to" or "remove tags from".
func (s *Service) checkTagChars(tags map[string]string, keys []string, verb, stream string) error {
	var all []string
	for k, v := range tags {
		all = append(all, k, v)
	}
	all = append(all, keys...)
	for _, t := range all {
		if strings.IndexFunc(t, func(r rune) bool { return !tagCharOK(r) }) >= 0 {
			return awsproto.InvalidArgument("Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - %% @.")
		}
	}
	for _, t := range all {
		if strings.Contains(t, "%") {
			return awsproto.InvalidArgument("Failed to %s stream %s under account %s because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.", verb, stream, s.account)
		}
	}
	return nil
}

type addTagsInput struct {
	Tags map[string]string `json:"Tags"`
	streamRef
}

func (s *Service) addTagsToStream(ctx context.Context, in *addTagsInput) (*empty, error) {
	var v violations
	if in.Tags == nil {
		v.add("null", "tags", "Member must not be null")
	}
	v.tags("tags", in.Tags)
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	return nil, s.tag(ctx, name, in.Tags)
}

func (s *Service) tag(ctx context.Context, name string, tags map[string]string) error {
	if _, err := s.backend.Stream(ctx, name); err != nil {
		return err
	}
	if err := s.checkTagChars(tags, nil, "add tags to", name); err != nil {
		return err
	}
	return s.backend.TagStream(ctx, name, tags)
}

type removeTagsInput struct {
	TagKeys []string `json:"TagKeys"`
	streamRef
}

func (s *Service) removeTagsFromStream(ctx context.Context, in *removeTagsInput) (*empty, error) {
	var v violations
	v.tagKeys("tagKeys", in.TagKeys)
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	return nil, s.untag(ctx, name, in.TagKeys)
}

func (s *Service) untag(ctx context.Context, name string, keys []string) error {
	if _, err := s.backend.Stream(ctx, name); err != nil {
		return err
	}
	if err := s.checkTagChars(nil, keys, "remove tags from", name); err != nil {
		return err
	}
	return s.backend.UntagStream(ctx, name, keys)
}

type listTagsInput struct {
	Limit                *integer `json:"Limit"`
	ExclusiveStartTagKey *string  `json:"ExclusiveStartTagKey"`
	streamRef
}

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type listTagsOutput struct {
	Tags        []tagOut `json:"Tags"`
	HasMoreTags bool     `json:"HasMoreTags"`
}

func sortedTags(tags map[string]string, after string, limit int) ([]tagOut, bool) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		if k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	more := len(keys) > limit
	keys = keys[:min(limit, len(keys))]
	out := make([]tagOut, len(keys))
	for i, k := range keys {
		out[i] = tagOut{k, tags[k]}
	}
	return out, more
}

func (s *Service) listTagsForStream(ctx context.Context, in *listTagsInput) (*listTagsOutput, error) {
	var v violations
	v.int("limit", in.Limit, false, 1, 50)
	v.str("exclusiveStartTagKey", in.ExclusiveStartTagKey, strRule{min: 1, max: 128})
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	info, err := s.backend.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	limit := maxTagsPerStream
	if n, ok := intp(in.Limit); ok {
		limit = n
	}
	tags, more := sortedTags(info.Tags, deref(in.ExclusiveStartTagKey), limit)
	return &listTagsOutput{Tags: tags, HasMoreTags: more}, nil
}

// ---- TagResource, UntagResource, ListTagsForResource ----

var resourceARNRule = strRule{required: true, pattern: &resourceARNPattern, min: 1, max: 2048}

var resourceARNPattern = pattern(`arn:aws.*:kinesis:.*:\d{12}:.+`)

// resourceStream is the stream a ResourceARN names; consumers and other
// resources are not emulated.
func (s *Service) resourceStream(arn string) (string, error) {
	name, ok := streamNameFromARN(arn)
	if !ok {
		return "", awsproto.NotFound("Resource %s under account %s not found.", arn, s.account)
	}
	return name, nil
}

type tagResourceInput struct {
	ResourceARN *string           `json:"ResourceARN"`
	Tags        map[string]string `json:"Tags"`
}

func (s *Service) tagResource(ctx context.Context, in *tagResourceInput) (*empty, error) {
	var v violations
	v.str("resourceARN", in.ResourceARN, resourceARNRule)
	if in.Tags == nil {
		v.add("null", "tags", "Member must not be null")
	}
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := s.resourceStream(*in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return nil, s.tag(ctx, name, in.Tags)
}

type untagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

func (s *Service) untagResource(ctx context.Context, in *untagResourceInput) (*empty, error) {
	var v violations
	v.str("resourceARN", in.ResourceARN, resourceARNRule)
	v.tagKeys("tagKeys", in.TagKeys)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := s.resourceStream(*in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return nil, s.untag(ctx, name, in.TagKeys)
}

type listTagsForResourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
}

type listTagsForResourceOutput struct {
	Tags []tagOut `json:"Tags"`
}

func (s *Service) listTagsForResource(ctx context.Context, in *listTagsForResourceInput) (*listTagsForResourceOutput, error) {
	var v violations
	v.str("resourceARN", in.ResourceARN, resourceARNRule)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := s.resourceStream(*in.ResourceARN)
	if err != nil {
		return nil, err
	}
	info, err := s.backend.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	tags, _ := sortedTags(info.Tags, "", len(info.Tags))
	return &listTagsForResourceOutput{Tags: tags}, nil
}
