package datacatalog

import (
	"context"
	"fmt"
)

// Databases returns the names of the catalog's databases (those with at
// least one table), in order.
func (s *Store) Databases(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT database FROM catalog_tables ORDER BY database`)
	if err != nil {
		return nil, fmt.Errorf("list catalog databases: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list catalog databases: %w", err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list catalog databases: %w", err)
	}
	return out, nil
}
