package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// TestRowInserterWritesAsOneStatementPerRow_Issue14: rows written
// rowsPerInsert to a statement, the rest in statements of 16, 8, 4, 2 and
// 1 rows, leave the table as a statement per row would, in order (a later
// row replacing an earlier one with the same key, in the same statement
// or another).
func TestRowInserterWritesAsOneStatementPerRow_Issue14(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ n, keys int }{{0, 1}, {1, 1}, {3, 2}, {7, 3}, {rowsPerInsert - 1, 5},
		{rowsPerInsert - 1, rowsPerInsert + 3}, {rowsPerInsert, rowsPerInsert + 3}, {2*rowsPerInsert + 5, rowsPerInsert + 3},
		{2*rowsPerInsert + 7, 4}} {
		n := c.n
		views, err := OpenViews(filepath.Join(t.TempDir(), ViewsFile))
		if err != nil {
			t.Fatal(err)
		}
		b, err := views.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w := b.inserter(`INSERT OR REPLACE INTO chain_heads (stream, revision, hash) VALUES`, 3)
		want := map[string]string{}
		for i := range n {
			stream := fmt.Sprintf("s-%d", i%c.keys) // keys repeat
			if err := w.add(stream, int64(i), fmt.Sprint("h", i)); err != nil {
				t.Fatal(err)
			}
			want[stream] = fmt.Sprintf("%d h%d", i, i)
		}
		if err := w.flush(); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		rows, err := views.DB().Query(`SELECT stream, revision, hash FROM chain_heads`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for rows.Next() {
			var stream, hash string
			var rev int64
			if err := rows.Scan(&stream, &rev, &hash); err != nil {
				t.Fatal(err)
			}
			got[stream] = fmt.Sprintf("%d %s", rev, hash)
		}
		rows.Close()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d rows: the table holds\n%v\nwant\n%v", n, got, want)
		}
		if err := w.add("one", "too few"); err == nil {
			t.Fatal("a row of too few values was taken")
		}
		views.Close()
	}
}
